// The keeper process of a data folder's DynamoDB Local (see local-store.ts): started detached by the first command.
import { runKeeper } from './local-store.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const home = process.argv[2];
if (!home) {
  process.stderr.write('usage: local-store-keeper <data folder>\n');
  process.exit(2);
}
await runKeeper(home);
