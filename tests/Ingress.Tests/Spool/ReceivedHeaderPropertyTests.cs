using System.Text;
using CsCheck;
using MimeKit;
using MimeKit.Utils;
using Pipeline.Ingress.Spool;

namespace Pipeline.Ingress.Tests.Spool;

/// <summary>
/// The Received header ingress prepends, read back by MimeKit and by an RFC 5322 §3.2 lexer
/// written here: one header, the fields as written, and no HELO name or recipient a client
/// chose can add a header line, open a comment or quoted string, or move the date (§3.6.7:
/// <c>received = "Received:" *received-token ";" date-time</c>).
/// </summary>
public class ReceivedHeaderPropertyTests
{
    private static Gen<string> Text(string chars, int min, int max) => Gen.Char[chars].Array[min, max].Select(c => new string(c));

    // HELO names as clients send them, hostile ones among them.
    private static readonly Gen<string?> Helo = Gen.Frequency(
        (3, Text("abcdefghijklmnopqrstuvwxyz0123456789.-", 1, 30)),
        (1, Gen.OneOf("[192.0.2.1]", "[IPv6:2001:db8::1]", "localhost", "=?utf-8?q?=0D=0AX-Evil:_yes?=")),
        (4, Gen.Frequency(
                (4, Gen.Char['!', '~'].Select(c => c.ToString())),
                (3, Gen.OneOf("\r", "\n", "\r\n", "\r\nX-Evil: yes\r\n", "\t", "\0", "\x7f", "\u0085", "\u2028", "(", ")", ";", "\"", "\\", "<", ">", " ")),
                (1, Gen.OneOf("é", "中", "\U0001F600", "ü")))
            .Array[1, 20].Select(string.Concat)))
        .Null(0.05);

    // Recipients as RCPT TO accepts them: dot-strings, quoted strings, UTF-8, address literals.
    private static readonly Gen<string> Recipient = Gen.Select(
        Gen.Frequency(
            (3, Text("abcdefghijklmnopqrstuvwxyz0123456789.!#$%&'*+-/=?^_`{|}~é中", 1, 15)),
            (1, Gen.Frequency(
                    (5, Gen.Char[' ', '~'].Where(c => c is not ('"' or '\\')).Select(c => c.ToString())),
                    (1, Gen.Char[' ', '~'].Select(c => "\\" + c)))
                .Array[0, 10].Select(q => "\"" + string.Concat(q) + "\""))),
        Gen.OneOf("example.com", "mx.example.test", "[192.0.2.7]", "bücher.example"),
        (local, domain) => local + "@" + domain);

    private static readonly Gen<DateTimeOffset> When = Gen.Select(Gen.Long[0, 4_000_000_000L], Gen.Int[-12 * 4, 14 * 4],
        (seconds, quarters) => DateTimeOffset.FromUnixTimeSeconds(seconds).ToOffset(TimeSpan.FromMinutes(15 * quarters)));

    private static readonly Gen<string> Address = Gen.OneOf(
        Gen.Byte.Array[4].Select(b => new System.Net.IPAddress(b).ToString()),
        Gen.Byte.Array[16].Select(b => new System.Net.IPAddress(b).ToString()));

    // What a client wrote may stay, but for what would break the header: a control character
    // ends or folds the line, a parenthesis opens or closes a comment, and in the HELO name a
    // quote would open a quoted string and a semicolon would end the received-tokens.
    private static string Expected(string text, string breaking) =>
        new(text.Select(c => char.IsControl(c) || breaking.Contains(c, StringComparison.Ordinal) ? '?' : c).ToArray());

    // RFC 5322 §3.2.2, §3.2.4 outside the field's comments and quoted strings: the comments
    // (nested, with quoted-pairs) and where each ';' is; null when one is left open or a ')'
    // closes nothing.
    private static (List<string> Comments, List<int> Semicolons)? Lex(string value)
    {
        var comments = new List<string>();
        var semicolons = new List<int>();
        for (var i = 0; i < value.Length;)
        {
            switch (value[i])
            {
                case '(':
                    var depth = 0;
                    var start = i;
                    do
                    {
                        if (i >= value.Length)
                            return null;
                        if (value[i] == '\\')
                            i++;
                        else if (value[i] == '(')
                            depth++;
                        else if (value[i] == ')')
                            depth--;
                        i++;
                    }
                    while (depth > 0);
                    comments.Add(value[start..i]);
                    break;
                case ')':
                    return null;
                case '"':
                    for (i++; ; i++)
                    {
                        if (i >= value.Length)
                            return null;
                        if (value[i] == '\\')
                            i++;
                        else if (value[i] == '"')
                            break;
                    }

                    i++;
                    break;
                case ';':
                    semicolons.Add(i++);
                    break;
                default:
                    i++;
                    break;
            }
        }

        return (comments, semicolons);
    }

    [Fact]
    public void the_header_reads_back_as_one_received_field_with_what_was_written()
    {
        Gen.Select(Helo, Address, Gen.Int[1, 65535], Recipient.Array[0, 3], Gen.OneOf("smtp", "esmtp", "esmtps", "utf8smtps"), When)
            .Sample((helo, address, port, recipients, protocol, when) =>
            {
                var text = ReceivedHeader.Format(helo, address, port, "mx.example.test", protocol, "1tQz9X-000abc-Zz", recipients, when);
                var shown = text.ReplaceLineEndings("\\r\\n");

                // Nothing but the folds (CRLF and a tab) and the final CRLF ends a line.
                Assert.True(text.EndsWith("\r\n", StringComparison.Ordinal), shown);
                var unfolded = text[..^2].Replace("\r\n\t", "", StringComparison.Ordinal);
                Assert.False(unfolded.Contains('\r', StringComparison.Ordinal) || unfolded.Contains('\n', StringComparison.Ordinal), shown);

                var bytes = Encoding.UTF8.GetBytes(text);
                var headers = HeaderList.Load(new MemoryStream(bytes));
                Assert.True(headers.Count == 1, shown);
                Assert.Equal("Received", headers[0].Field);
                var message = MimeMessage.Load(new MemoryStream([.. bytes, .. "\r\nbody\r\n"u8]));
                Assert.True(message.Headers.Count == 1, shown);
                Assert.Equal("body", message.TextBody?.TrimEnd());

                var value = Encoding.UTF8.GetString(headers[0].RawValue).Replace("\r\n", "", StringComparison.Ordinal).Trim();
                var hello = string.IsNullOrEmpty(helo) ? "unknown" : Expected(helo, "();\"");
                Assert.StartsWith($"from {hello} ([{address}]:{port})", value, StringComparison.Ordinal);
                Assert.Contains($"\tby mx.example.test with {protocol.ToUpperInvariant()}", value, StringComparison.Ordinal);
                Assert.Contains("\tid 1tQz9X-000abc-Zz", value, StringComparison.Ordinal);
                if (recipients.Length == 1)
                    Assert.Contains($"\tfor <{Expected(recipients[0], "()")}>;", value, StringComparison.Ordinal);
                else
                    Assert.DoesNotContain("\tfor <", value, StringComparison.Ordinal);

                var lexed = Lex(value);
                Assert.True(lexed is not null, $"unbalanced: {shown}");
                Assert.Equal([$"([{address}]:{port})", "(Pipeline)"], lexed.Value.Comments);
                Assert.True(lexed.Value.Semicolons.Count == 1, $"semicolons at {string.Join(',', lexed.Value.Semicolons)}: {shown}");
                Assert.True(DateUtils.TryParse(value[(lexed.Value.Semicolons[0] + 1)..], out var date), shown);
                Assert.Equal(when, date);
                Assert.Equal(when.Offset, date.Offset);
            });
    }

    // Found by the property: a quote or a semicolon in the HELO name changed the header's
    // structure (a quoted string running over the date; a second ';' before the real date).
    [Theory]
    [InlineData("a\"b")]
    [InlineData("x;Thu,01Jan1970")]
    public void a_quote_or_semicolon_in_the_helo_name_does_not_change_the_structure(string helo)
    {
        var when = new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.FromHours(2));
        var text = ReceivedHeader.Format(helo, "192.0.2.1", 25, "mx.example.test", "esmtp", "id1", ["a@example.com"], when);
        var value = text.Replace("\r\n", "", StringComparison.Ordinal);
        Assert.Equal(1, value.Count(c => c == ';'));
        Assert.DoesNotContain('"', value);
        Assert.EndsWith("; Mon, 06 May 2024 07:08:09 +0200", value, StringComparison.Ordinal);
    }
}
