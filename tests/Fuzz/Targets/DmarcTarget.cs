using System.Text;
using Pipeline.Policy.Dmarc;

namespace Pipeline.Fuzz.Targets;

/// <summary>The DMARC record parser (RFC 7489 §6.3, §6.4): a parsed record written back in canonical form parses to the same record.</summary>
internal static class DmarcTarget
{
    public static void Run(byte[] input)
    {
        var text = Encoding.UTF8.GetString(input);
        if (!DmarcRecord.IsDmarc(text))
            return;
        var record = DmarcRecord.Parse(text, out var problem);
        Property.Require(record is not null || problem.Length > 0, "a refused record without a reason");
        if (record is null)
            return;

        var written = $"v=DMARC1; p={record.Policy}; sp={record.SubdomainPolicy}; adkim={(record.StrictDkim ? 's' : 'r')}; "
            + $"aspf={(record.StrictSpf ? 's' : 'r')}; pct={record.Percent}; fo={record.FailureOptions}; ri={record.ReportInterval}"
            + (record.AggregateReports.Count > 0 ? "; rua=" + string.Join(',', record.AggregateReports) : "")
            + (record.FailureReports.Count > 0 ? "; ruf=" + string.Join(',', record.FailureReports) : "");
        var again = DmarcRecord.Parse(written, out var againProblem);
        Property.Require(again is not null, $"the canonical form '{written}' of a parsed record is refused: {againProblem}");
        Property.Require(again! with { AggregateReports = record.AggregateReports, FailureReports = record.FailureReports } == record
            && again.AggregateReports.SequenceEqual(record.AggregateReports) && again.FailureReports.SequenceEqual(record.FailureReports),
            $"'{written}' parses to another record");
    }
}
