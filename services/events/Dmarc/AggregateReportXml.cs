using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Xml;

namespace Pipeline.Events.Dmarc;

/// <summary>
/// Writes an aggregate report as the XML of RFC 7489 appendix C, and packs it as §7.2.1.1
/// sends it (gzip, named <c>receiver!policy-domain!begin!end!id.xml.gz</c>).
/// </summary>
public static class AggregateReportXml
{
    /// <summary>The namespace of appendix C's schema.</summary>
    public const string Namespace = "http://dmarc.org/dmarc-xml/0.1";

    /// <summary>The report's XML.</summary>
    /// <param name="report">The report.</param>
    /// <param name="options">The reporting organisation.</param>
    public static string Write(AggregateReport report, DmarcReportOptions options)
    {
        var text = new StringBuilder();
        var settings = new XmlWriterSettings { Indent = true, Encoding = Encoding.UTF8, OmitXmlDeclaration = true };
        using (var xml = XmlWriter.Create(text, settings))
        {
            // The schema qualifies only its top element (no elementFormDefault): the others are
            // in no namespace, so the root carries a prefix and its children none.
            xml.WriteStartElement("dmarc", "feedback", Namespace);
            xml.WriteElementString("version", "1.0");

            xml.WriteStartElement("report_metadata");
            xml.WriteElementString("org_name", options.OrgName);
            xml.WriteElementString("email", options.Email);
            if (options.ExtraContactInfo.Length > 0)
                xml.WriteElementString("extra_contact_info", options.ExtraContactInfo);
            xml.WriteElementString("report_id", report.ReportId);
            xml.WriteStartElement("date_range");
            xml.WriteElementString("begin", report.Period.Begin.ToString(CultureInfo.InvariantCulture));
            xml.WriteElementString("end", report.Period.Last.ToString(CultureInfo.InvariantCulture));
            xml.WriteEndElement();
            xml.WriteEndElement();

            var policy = report.Policy;
            xml.WriteStartElement("policy_published");
            xml.WriteElementString("domain", report.PolicyDomain);
            xml.WriteElementString("adkim", policy.StrictDkim ? "s" : "r");
            xml.WriteElementString("aspf", policy.StrictSpf ? "s" : "r");
            xml.WriteElementString("p", policy.Policy);
            xml.WriteElementString("sp", policy.SubdomainPolicy);
            xml.WriteElementString("pct", policy.Percent.ToString(CultureInfo.InvariantCulture));
            xml.WriteElementString("fo", policy.FailureOptions);
            xml.WriteEndElement();

            foreach (var record in report.Records)
                WriteRecord(xml, record);
            xml.WriteEndElement();
        }

        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + text + "\n";
    }

    private static void WriteRecord(XmlWriter xml, AggregateRecord record)
    {
        xml.WriteStartElement("record");
        xml.WriteStartElement("row");
        xml.WriteElementString("source_ip", record.SourceIp);
        xml.WriteElementString("count", record.Count.ToString(CultureInfo.InvariantCulture));
        xml.WriteStartElement("policy_evaluated");
        xml.WriteElementString("disposition", record.Disposition);
        xml.WriteElementString("dkim", record.DkimPass ? "pass" : "fail");
        xml.WriteElementString("spf", record.SpfPass ? "pass" : "fail");
        if (record.SampledOut)
        {
            xml.WriteStartElement("reason");
            xml.WriteElementString("type", "sampled_out");
            xml.WriteEndElement();
        }

        xml.WriteEndElement();
        xml.WriteEndElement();

        xml.WriteStartElement("identifiers");
        if (record.EnvelopeTo.Length > 0)
            xml.WriteElementString("envelope_to", record.EnvelopeTo);
        xml.WriteElementString("envelope_from", record.EnvelopeFrom);
        xml.WriteElementString("header_from", record.HeaderFrom);
        xml.WriteEndElement();

        xml.WriteStartElement("auth_results");
        foreach (var dkim in record.Dkim)
        {
            xml.WriteStartElement("dkim");
            xml.WriteElementString("domain", dkim.Domain);
            if (dkim.Selector.Length > 0)
                xml.WriteElementString("selector", dkim.Selector);
            xml.WriteElementString("result", dkim.Result is "pass" or "fail" or "neutral" or "policy" or "temperror" or "permerror" ? dkim.Result : "none");
            xml.WriteEndElement();
        }

        xml.WriteStartElement("spf");
        xml.WriteElementString("domain", record.Spf.Domain);
        xml.WriteElementString("scope", record.Spf.Scope);
        xml.WriteElementString("result", record.Spf.Result);
        xml.WriteEndElement();
        xml.WriteEndElement();
        xml.WriteEndElement();
    }

    /// <summary>The XML, gzipped.</summary>
    public static byte[] Gzip(string xml)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
            gzip.Write(Encoding.UTF8.GetBytes(xml));
        return output.ToArray();
    }

    /// <summary>The attachment's name (§7.2.1.1): <c>receiver!policy-domain!begin!end!id.xml.gz</c>.</summary>
    public static string FileName(AggregateReport report, DmarcReportOptions options) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{options.Submitter}!{report.PolicyDomain}!{report.Period.Begin}!{report.Period.Last}!{report.ReportId}.xml.gz");

    /// <summary>The Subject (§7.2.1.1).</summary>
    public static string Subject(AggregateReport report, DmarcReportOptions options) =>
        $"Report Domain: {report.PolicyDomain} Submitter: {options.Submitter} Report-ID: <{report.ReportId}>";
}
