// Runs the GraphQL-over-HTTP specification's audit suite (the `graphql-http` package's
// serverAudits) against a running server; fails on any MUST or SHOULD that is not met.
//
//   node graphql_audit.mjs http://127.0.0.1:PORT/graphql
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
let failed = 0;
for (const audit of serverAudits({ url })) {
  const result = await audit.fn();
  const level = audit.name.split(' ')[0];
  if (result.status === 'ok') {
    console.log(`ok    ${audit.name}`);
  } else if (level === 'MAY' && result.status !== 'error') {
    console.log(`may   ${audit.name}: ${result.reason}`);
  } else {
    failed += 1;
    console.log(`FAIL  ${audit.name}: ${result.reason}`);
  }
}
if (failed) {
  console.error(`${failed} GraphQL-over-HTTP audits failed`);
  process.exit(1);
}
