using System.Globalization;
using System.Text;

namespace Pipeline.Ingress.Spool;

/// <summary>The <c>Received:</c> trace header ingress prepends (RFC 5321 §4.4, RFC 5322 §3.6.7).</summary>
public static class ReceivedHeader
{
    /// <summary>Formats the header, folded, with its final CRLF.</summary>
    public static string Format(string? helo, string clientAddress, int clientPort, string byHost,
        string protocol, string messageId, IReadOnlyList<string> recipients, DateTimeOffset when)
    {
        var text = new StringBuilder();
        text.Append("Received: from ").Append(string.IsNullOrEmpty(helo) ? "unknown" : Clean(helo, "();\""))
            .Append(" ([").Append(clientAddress).Append("]:").Append(clientPort.ToString(CultureInfo.InvariantCulture)).Append(")\r\n")
            .Append("\tby ").Append(byHost).Append(" with ").Append(protocol.ToUpperInvariant())
            .Append("\r\n\t(Pipeline)\r\n\tid ").Append(messageId);
        if (recipients.Count == 1)
            text.Append("\r\n\tfor <").Append(Clean(recipients[0], "()")).Append('>');
        text.Append("; ").Append(when.ToString("ddd, dd MMM yyyy HH:mm:ss ", CultureInfo.InvariantCulture))
            .Append(when.ToString("zzz", CultureInfo.InvariantCulture).Replace(":", "", StringComparison.Ordinal))
            .Append("\r\n");
        return text.ToString();
    }

    // Keeps client-supplied text from breaking the header: no controls, no parentheses (a
    // comment). The HELO name, a bare received-token (RFC 5322 §3.6.7), has no quote either (a
    // quoted string would run over the date) nor ';' (which ends the tokens before the date). A
    // recipient's quotes are its own balanced quoted local part, which may hold a ';'.
    private static string Clean(string value, string breaking) =>
        new(value.Select(c => char.IsControl(c) || breaking.Contains(c, StringComparison.Ordinal) ? '?' : c).ToArray());
}
