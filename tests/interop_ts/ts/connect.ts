// Every program's command line: <server address> <namespace> <program arguments...>.
import { Client, Connection } from "@temporalio/client";

/** The program's own arguments and a client of the test's dev server. */
export async function connect(): Promise<{ client: Client; connection: Connection; args: string[] }> {
  const [address, namespace, ...args] = process.argv.slice(2);
  const connection = await Connection.connect({ address });
  return { client: new Client({ connection, namespace }), connection, args };
}

/** Run `main`, and exit non-zero with the error on stderr if it fails. */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
