/**
 * The single DynamoDB table of imhub. Shared by the CDK stack and the local runtime so both build
 * the same table.
 *
 * Key schema (all attributes are strings unless noted):
 *
 * | item                 | pk                      | sk        | gsi1pk        | gsi1sk               |
 * |----------------------|-------------------------|-----------|---------------|----------------------|
 * | integration          | `INT#<id>`              | `INT`     | `INTEGRATION` | `<createdAt>#<id>`   |
 * | integration name lock| `INTNAME#<normalized>`  | `INTNAME` | –             | –                    |
 * | API key (hash only)  | `APIKEY#<id>`           | `APIKEY`  | `APIKEY`      | `<createdAt>#<id>`   |
 * | callback event claim | `EVENT#<intId>#<evId>`  | `EVENT`   | –             | –                    |
 * | platform token       | `TOKEN#<intId>#<credV>` | `TOKEN`   | –             | –                    |
 * | token refresh lease  | `TOKEN#<intId>#<credV>` | `LEASE`   | –             | –                    |
 * | approval             | `APR#<id>`              | `APR`     | `APPROVAL`    | `<createdAt>#<id>`   |
 * | approval idempotency | `APRKEY#<intId>#<key>`  | `APRKEY`  | –             | –                    |
 * | provisioned def/form | `PROV#<intId>#<shape>`  | `PROV`    | –             | –                    |
 * | instance → approval  | `APRINST#<intId>#<iid>` | `APRINST` | –             | –                    |
 *
 * GSI2 (`gsi2pk`, `gsi2sk`) is sparse: only pending approvals carry `gsi2pk = DUE` and
 * `gsi2sk = <nextCheckAt>#<id>`, so the reconciler reads what is due, and its cost grows with
 * pending approvals, not with time or history. A terminal write removes both attributes.
 *
 * - The name lock makes names unique: it is written in the same transaction as the integration,
 *   under `attribute_not_exists(pk)`, and moved in one transaction on rename.
 * - Every mutable item carries `version` (number); updates are conditional on the version read.
 * - `expiresAt` (number, epoch seconds) is the TTL attribute, for short-lived items such as
 *   callback dedupe records and cached platform tokens.
 * - GSI1 lists items of one type in creation order; it projects all attributes.
 */
export const tableSchema = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
  gsi1: { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  gsi2: { indexName: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
} as const;
