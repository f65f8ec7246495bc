// `npm start`: the same as `npx portal serve`.
import { runCli } from './cli.js';

runCli(['serve']).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
