import type { TestProject } from 'vitest/node';
import { startEmbeddedDynamoDb } from '../../lib/local/embedded-dynamodb.ts';

/** One in-memory DynamoDB Local for the whole run; each test file uses its own table. */
export default async function setup(project: TestProject) {
  const dynamo = await startEmbeddedDynamoDb();
  project.provide('dynamoEndpoint', dynamo.endpoint);
  return async () => dynamo.stop();
}

