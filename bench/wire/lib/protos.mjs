// The Check and CheckBulk method definitions, loaded exactly as Warden's server loads them (the compiled
// dist/api/grpc/proto.js, same .proto files, same proto-loader options), so that the echo floor pays the
// same (de)serialisation cost as Warden and the load generator speaks the same wire contract.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PROTO_MODULE = new URL('../../../dist/api/grpc/proto.js', import.meta.url);

export async function loadPermissionsService() {
  if (!existsSync(fileURLToPath(PROTO_MODULE))) {
    throw new Error('dist/ is missing: run `npx tsc -p tsconfig.build.json` (or `npm run build`) first');
  }
  const { loadProtos } = await import(PROTO_MODULE.href);
  const permissions = loadProtos().permissions;
  for (const name of ['Check', 'CheckBulk']) {
    if (!permissions[name]) throw new Error(`warden.v1.PermissionsService has no ${name} method`);
  }
  return permissions;
}
