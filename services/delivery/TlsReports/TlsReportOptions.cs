using static Pipeline.Infrastructure.Configuration.SettingsExtensions;

namespace Pipeline.Delivery.TlsReports;

/// <summary>
/// The <c>Delivery:TlsReports</c> section: SMTP TLS Reporting (RFC 8460), the daily reports of
/// outbound TLS sessions sent to the domains that ask for them. Exim has no such option; the
/// names follow RFC 8460's fields.
/// </summary>
public sealed class TlsReportOptions
{
    /// <summary>Sends TLS reports. Defaults to false.</summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// The submitting MTA's host name: <c>TLS-Report-Submitter</c>, the first part of the report's
    /// file name and of its id. Defaults to <c>Delivery:HeloData</c>.
    /// </summary>
    public string? Submitter { get; set; }

    /// <summary>The report's <c>organization-name</c> (RFC 8460 §4.4). Defaults to <see cref="Submitter"/>.</summary>
    public string? OrganizationName { get; set; }

    /// <summary>The report's <c>contact-info</c>: an address or a URL to ask about the report. Defaults to <c>postmaster@</c><see cref="Submitter"/>.</summary>
    public string? ContactInfo { get; set; }

    /// <summary>The From address of report mail (RFC 8460 §5.3). Defaults to <c>noreply-tlsrpt@</c><see cref="Submitter"/>.</summary>
    public string? From { get; set; }

    /// <summary>
    /// The period a report covers, aligned on the Unix epoch (so every process computes the same
    /// periods): a day, from midnight UTC, as RFC 8460 §4.1 asks, unless shortened for tests.
    /// Defaults to 1 day.
    /// </summary>
    public TimeSpan Period { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How long an https report (RFC 8460 §5.4) may take to post. Defaults to 30 seconds.</summary>
    public TimeSpan HttpsTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Checks the values.</summary>
    /// <exception cref="InvalidOperationException">A value is out of range.</exception>
    public void Validate()
    {
        Require(Period >= TimeSpan.FromSeconds(1) && (TimeSpan.FromDays(1).Ticks % Period.Ticks == 0 || Period.Ticks % TimeSpan.FromDays(1).Ticks == 0),
            "Delivery:TlsReports:Period must be at least 1 second and divide a day, or be a whole number of days");
        Require(HttpsTimeout > TimeSpan.Zero, "Delivery:TlsReports:HttpsTimeout must be positive");
        Require(From is null || From.Contains('@', StringComparison.Ordinal), "Delivery:TlsReports:From must be an address");
    }
}
