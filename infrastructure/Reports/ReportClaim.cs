namespace Pipeline.Infrastructure.Reports;

/// <summary>
/// What one report covers, claimed at most once across every process: a report of
/// <paramref name="Kind"/> about <paramref name="Key"/> for the period that starts at
/// <paramref name="PeriodStart"/>. Table <c>report_claims</c> holds one row per claim, unique
/// on (kind, key, period_start), inserted in the transaction that queues the report.
/// </summary>
/// <param name="Kind">The kind of report, e.g. <c>dmarc-aggregate</c>, <c>dmarc-failure</c>, <c>tls-rpt</c>.</param>
/// <param name="Key">What the report is about within its kind: a policy domain, or a message id for per-message reports.</param>
/// <param name="PeriodStart">The start of the period the report covers (the message's time for per-message reports).</param>
/// <param name="PeriodEnd">The end of that period (exclusive).</param>
/// <param name="Domain">The domain the report is about, for counting reports per domain (rate limits); the key's domain when it is one.</param>
public sealed record ReportClaim(string Kind, string Key, DateTimeOffset PeriodStart, DateTimeOffset PeriodEnd, string Domain);
