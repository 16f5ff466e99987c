"""TypeScript output of wstream-gen: types by json-schema-to-typescript, wrappers by templates."""

from wstream_gen.typescript.pipeline import generate_typescript_package
from wstream_gen.typescript.toolchain import Toolchain, ToolchainError, find_toolchain

__all__ = ["Toolchain", "ToolchainError", "find_toolchain", "generate_typescript_package"]
