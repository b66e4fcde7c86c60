using Pipeline.Infrastructure.Configuration;

namespace Pipeline.Events.Dmarc;

/// <summary>
/// <c>Events:DmarcReports</c>: the DMARC reports this pipeline sends as a receiver (RFC 7489
/// §7): aggregate reports to each policy domain's <c>rua</c>, failure reports to its
/// <c>ruf</c>, both made from the DMARC evaluations kept in <c>msg:received</c>.
/// </summary>
public sealed class DmarcReportOptions
{
    /// <summary>Whether reports are made and sent at all. Defaults to false: reports go to other organisations.</summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// The aggregate reporting period, periods aligned to multiples of it since 1970 (a day
    /// starts at midnight UTC). A record's <c>ri=</c> longer than this lengthens that domain's
    /// period to the next multiple of it; a shorter one is not honoured. Defaults to 24 hours.
    /// </summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How often the pipeline looks for periods that ended and failure reports that are due. Defaults to 1 minute.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The reporting organisation's name (<c>org_name</c>), e.g. <c>mx.example.net</c>; also the report file name's receiver.</summary>
    public string OrgName { get; set; } = "";

    /// <summary>The reporting organisation's contact address (<c>email</c>), also the From of aggregate reports.</summary>
    public string Email { get; set; } = "";

    /// <summary>More contact information (<c>extra_contact_info</c>), e.g. a web page; none when empty.</summary>
    public string ExtraContactInfo { get; set; } = "";

    /// <summary>
    /// Exim's <c>dmarc_forensic_sender</c>: the From of failure reports. Defaults to
    /// <see cref="Email"/>. Failure reports are made only for messages whose data ACL said
    /// <c>control = dmarc_enable_forensic</c>.
    /// </summary>
    public string ForensicSender { get; set; } = "";

    /// <summary>The most failure reports per policy domain in an hour; the others are not sent. Defaults to 10.</summary>
    public int FailureReportsPerHour { get; set; } = 10;

    /// <summary>Whether failure reports carry the whole failed message rather than only its header. Defaults to false (the header only).</summary>
    public bool FailureReportsIncludeBody { get; set; }

    /// <summary>The From of failure reports.</summary>
    public string FailureFrom => ForensicSender.Length > 0 ? ForensicSender : Email;

    /// <summary>The submitter of the Subject (§7.2.1.1): the domain of <see cref="Email"/>.</summary>
    public string Submitter => Email[(Email.LastIndexOf('@') + 1)..];

    /// <summary>Checks the options at start-up.</summary>
    /// <exception cref="InvalidOperationException">An option is missing or out of range.</exception>
    public void Validate()
    {
        if (!Enabled)
            return;
        SettingsExtensions.Require(Interval >= TimeSpan.FromSeconds(1) && Interval <= TimeSpan.FromDays(7) && Interval.Ticks % TimeSpan.TicksPerSecond == 0,
            "Events:DmarcReports:Interval must be a whole number of seconds from 1 second to 7 days");
        SettingsExtensions.Require(PollInterval > TimeSpan.Zero, "Events:DmarcReports:PollInterval must be positive");
        SettingsExtensions.Require(OrgName.Trim().Length > 0, "Events:DmarcReports:OrgName is required when Events:DmarcReports:Enabled is true");
        SettingsExtensions.Require(IsAddress(Email), "Events:DmarcReports:Email must be an address (local@domain)");
        SettingsExtensions.Require(ForensicSender.Length == 0 || IsAddress(ForensicSender), "Events:DmarcReports:ForensicSender must be an address (local@domain)");
        SettingsExtensions.Require(FailureReportsPerHour >= 0, "Events:DmarcReports:FailureReportsPerHour must be 0 or more");
    }

    private static bool IsAddress(string value) =>
        value.LastIndexOf('@') is var at and > 0 && at < value.Length - 1 && MimeKit.MailboxAddress.TryParse(value, out _);
}
