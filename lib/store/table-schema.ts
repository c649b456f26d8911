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
 * | job                  | `JOB#<kind>#<subject>`  | `JOB`     | –             | –                    |
 *
 * GSI2 (`gsi2pk`, `gsi2sk`) is sparse: only jobs carry `gsi2pk = JOB` (or `JOBDEAD` once parked)
 * and `gsi2sk = <dueAt>#<id>`, so the sweep reads what is due, and its cost grows with the work
 * waiting, not with time or history. Jobs carry `entity = job`, which the stream's filter passes
 * to the worker; a finished job is deleted.
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
  /** The attribute and value that mark a job item (the stream's filter and the worker read it). */
  jobEntity: { attribute: 'entity', value: 'job' },
} as const;
