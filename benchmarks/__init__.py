"""Side-by-side benchmarks: wstream against temporalio.contrib.workflow_streams."""
