import type { ApiKeyRecord } from '../domain/api-key.ts';
import type { Integration } from '../domain/integration.ts';

/** One page of a listing; `nextCursor` is opaque and absent on the last page. */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export interface PageRequest {
  limit: number;
  cursor?: string;
}

/** Integrations as the service sees them, whatever stores them. */
export interface IntegrationRepository {
  /** Throws ConflictError when the name (case-insensitive) is taken. */
  create(integration: Integration): Promise<void>;
  get(id: string): Promise<Integration | undefined>;
  list(page: PageRequest): Promise<Page<Integration>>;
  /**
   * Writes `next` only if the stored version is still `expectedVersion`; moves the name lock when
   * the name changed. Throws ConflictError on a lost race or a taken name, NotFoundError when gone.
   */
  update(next: Integration, previous: Integration): Promise<void>;
  /** Deletes the integration and its name lock; false when it did not exist. */
  delete(integration: Integration): Promise<void>;
}

export interface ApiKeyRepository {
  create(record: ApiKeyRecord): Promise<void>;
  get(id: string): Promise<ApiKeyRecord | undefined>;
  list(page: PageRequest): Promise<Page<ApiKeyRecord>>;
  /** Marks the key revoked; returns the updated record, or undefined when there is no such key. */
  revoke(id: string, at: string): Promise<ApiKeyRecord | undefined>;
}

/**
 * Exactly-once processing of platform events: a claim is a conditional write of the event id
 * with a TTL. A claim left `in_progress` by a crashed invocation can be taken over after its lease.
 */
export interface CallbackEventRepository {
  /** True when this caller now owns the event; false for a duplicate (done, or in progress elsewhere). */
  claim(claim: { integrationId: string; eventId: string; eventType: string; now: Date }): Promise<boolean>;
  complete(integrationId: string, eventId: string): Promise<void>;
  /** Gives the event back so the platform's retry is processed. */
  release(integrationId: string, eventId: string): Promise<void>;
}
