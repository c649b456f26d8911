import { logger } from '../../lib/log.ts';
import { LocalSecretSealer } from '../../lib/secrets/local-sealer.ts';
import { ApprovalService } from '../../lib/services/approval-service.ts';
import { services } from '../../lib/services/index.ts';
import { dynamoDocumentClient } from '../../lib/store/dynamodb-client.ts';
import { DynamoApprovalIndexRepository, DynamoApprovalRepository } from '../../lib/store/dynamodb/approvals.ts';

/**
 * The approvals reconciler of lib/services on the runtime's own table, providers and DynamoDB
 * client (so its calls are counted too), with production's schedule (first look after 60 s,
 * gaps doubling up to 15 min) and a clock the bench moves: an hour of one-minute EventBridge runs
 * takes seconds. Only the clock is the bench's; everything the reconciler does is imhub's.
 */
export function clockedReconciler(tableName: string, now: () => Date): ApprovalService {
  const keyFile = process.env.IMHUB_LOCAL_KEY_FILE;
  if (!keyFile) throw new Error('start the local runtime first: it sets IMHUB_LOCAL_KEY_FILE');
  const client = dynamoDocumentClient();
  return new ApprovalService({
    approvals: new DynamoApprovalRepository(client, tableName),
    index: new DynamoApprovalIndexRepository(client, tableName),
    integrations: services.integrations(),
    providers: services.providers(),
    sealer: LocalSecretSealer.fromKeyFile(keyFile),
    urlPolicy: { allowInsecure: true },
    logger,
    firstCheckMs: 60_000,
    now,
  });
}
