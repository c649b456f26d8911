/**
 * The reference system's cost model, from ../shared/platforms/zadig-reference.md §3 (Zadig HEAD):
 * each pending approval has a job goroutine that loops until a decision. These are the peer
 * numbers of the approval rows: Zadig cannot run here, so its loop is modelled, not measured.
 */
export const zadig = {
  /** Feishu/Lark: `GET /open-apis/approval/v4/instances/:id` every 2 s, callbacks removed (#4490). */
  feishu: { platformReadsPerHour: 3600 / 2, finalReads: 0, how: 'GET instance every 2 s', pollSeconds: 2 },
  /** WeCom: `POST oa/getapprovaldetail` every 1 s for workflow approvals (HEAD sleeps 1 s). */
  wecom: { platformReadsPerHour: 3600 / 1, finalReads: 0, how: 'getapprovaldetail every 1 s' },
  /**
   * DingTalk: callbacks written to a Redis hash that the job reads every 3 s, then one final
   * `GET processInstances`. No platform polling, and no way to finish if a callback is lost.
   */
  dingtalk: { platformReadsPerHour: 0, finalReads: 1, how: 'callbacks into Redis, read every 3 s, one final GET' },
  /** DingTalk's Redis reads per pending hour, and its writes per callback (one HSET, no dedupe claim). */
  dingtalkRedisReadsPerHour: 3600 / 3,
  dingtalkRedisWritesPerCallback: 1,
  /**
   * When a Feishu decision is seen: at the loop's next GET, a uniform 0–2 s after the decision
   * (the GET's own time left out), so the p-th percentile is p% of the 2 s interval.
   */
  feishuDecisionSeenSeconds: (p: number) => (p / 100) * 2,
} as const;
