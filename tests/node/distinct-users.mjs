// Prints who js/room.ts's distinctUsers keeps of the users given (one entry per person).
//
//   node distinct-users.mjs <bundle.mjs> <users.json>
//
// `bundle.mjs` is js/room.ts bundled by esbuild (the test builds it); `users.json`
// is a list of [connection id, user]. tests/integration/test_client_bounds.py asserts.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [bundle, usersPath] = process.argv.slice(2);
const { distinctUsers } = await import(pathToFileURL(bundle).href);
const link = { users: new Map(JSON.parse(readFileSync(usersPath, "utf8"))) };
process.stdout.write(JSON.stringify(distinctUsers(link).map((entry) => entry.id)));
