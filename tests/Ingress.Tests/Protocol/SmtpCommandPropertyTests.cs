using System.Buffers;
using System.Globalization;
using System.Text;
using CsCheck;
using Pipeline.Ingress.Protocol;
using Pipeline.Tests.Shared;

namespace Pipeline.Ingress.Tests.Protocol;

/// <summary>
/// SMTP command lines, MAIL and RCPT arguments and DATA content, formatted here from generated
/// values (RFC 5321 §4.1.1, §4.1.2, §4.5.2; RFC 1870, 3461, 6152, 6531) and read back by the
/// parsers: what was written is what is read, however the bytes are split.
/// </summary>
public class SmtpCommandPropertyTests
{
    private static readonly Dictionary<string, SmtpVerb> Verbs = new(StringComparer.Ordinal)
    {
        ["HELO"] = SmtpVerb.Helo, ["EHLO"] = SmtpVerb.Ehlo, ["MAIL"] = SmtpVerb.Mail, ["RCPT"] = SmtpVerb.Rcpt,
        ["DATA"] = SmtpVerb.Data, ["BDAT"] = SmtpVerb.Bdat, ["RSET"] = SmtpVerb.Rset, ["NOOP"] = SmtpVerb.Noop,
        ["QUIT"] = SmtpVerb.Quit, ["VRFY"] = SmtpVerb.Vrfy, ["HELP"] = SmtpVerb.Help, ["STARTTLS"] = SmtpVerb.StartTls,
        ["AUTH"] = SmtpVerb.Auth, ["GET"] = SmtpVerb.Http, ["POST"] = SmtpVerb.Http, ["HEAD"] = SmtpVerb.Http,
        ["PUT"] = SmtpVerb.Http, ["CONNECT"] = SmtpVerb.Http, ["OPTIONS"] = SmtpVerb.Http,
    };

    private static Gen<string> Text(string chars, int min, int max) => Gen.Char[chars].Array[min, max].Select(c => new string(c));

    private static Gen<string> Text(char first, char last, int min, int max) => Gen.Char[first, last].Array[min, max].Select(c => new string(c));

    // The same word with each letter in either case.
    private static Gen<string> AnyCase(string word) =>
        Gen.Bool.Array[word.Length].Select(upper => new string(word.Select((c, i) => upper[i] ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c)).ToArray()));

    private static readonly Gen<(string Word, SmtpVerb Verb)> Verb = Gen.Frequency(
        (3, Gen.OneOf(Verbs.Keys.ToArray()).SelectMany(v => AnyCase(v).Select(w => (w, Verbs[v])))),
        (1, Text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-", 1, 10)
            .Where(w => !Verbs.ContainsKey(w.ToUpperInvariant())).Select(w => (w, SmtpVerb.Unknown))));

    // Printable ASCII and some UTF-8 (RFC 6531), without blanks at either end.
    private static readonly Gen<string> Argument =
        Gen.Frequency((6, Gen.Char[' ', '~']), (1, Gen.Char["éü中€"])).Array[0, 40].Select(c => new string(c).Trim(' '));

    [Fact]
    public void a_command_line_parses_back_to_its_verb_and_argument()
    {
        Gen.Select(Verb, Argument, Gen.Int[0, 3], Gen.Int[0, 3]).Sample((verb, argument, before, after) =>
        {
            var line = argument.Length == 0 && before == 0 ? verb.Word : verb.Word + " " + new string(' ', before) + argument + new string(' ', after);
            var command = SmtpCommand.Parse(line);
            Assert.Equal(verb.Verb, command.Verb);
            Assert.Equal(verb.Word, command.Text);
            Assert.Equal(argument, command.Argument);
        });
    }

    // What Inspect says of a line agrees with a strict UTF-8 decoder, however the line is split.
    private static readonly Gen<byte[]> LineBytes = Gen.Frequency(
        (6, Gen.Byte[0x20, 0x7E].Array[1, 4]),
        (2, Gen.Char["éü中€"].Select(c => Encoding.UTF8.GetBytes(c.ToString()))),
        (1, Gen.Const(Encoding.UTF8.GetBytes("\U0001F600"))),
        (1, Gen.Byte.Array[1, 3]),
        (1, Gen.Const(new byte[] { 0 })))
        .Array[0, 20].Select(parts => parts.SelectMany(p => p).ToArray());

    [Fact]
    public void inspect_agrees_with_a_strict_utf8_decoder_however_the_line_is_split()
    {
        var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
        Gen.Select(LineBytes, Gen.Int[0, 100].Array[0, 4]).Sample((line, cuts) =>
        {
            CommandDefect expected;
            if (line.Contains((byte)0))
                expected = CommandDefect.Nul;
            else
            {
                try
                {
                    strict.GetString(line);
                    expected = CommandDefect.None;
                }
                catch (DecoderFallbackException)
                {
                    expected = CommandDefect.InvalidUtf8;
                }
            }

            Assert.Equal(expected, SmtpCommand.Inspect(new ReadOnlySequence<byte>(line)));
            for (var split = 1; split < line.Length; split++)
                Assert.Equal(expected, SmtpCommand.Inspect(Segments.Of(line[..split], line[split..])));
            if (line.Length > 0)
            {
                var parts = cuts.Select(c => c % line.Length).Append(0).Append(line.Length).Distinct().Order().ToArray();
                Assert.Equal(expected, SmtpCommand.Inspect(Segments.Of(parts.Zip(parts[1..], (a, b) => line[a..b]).ToArray())));
            }
        });
    }

    // ---- MAIL and RCPT paths ----

    private const string AText = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~";

    // RFC 5321 §4.1.2 Local-part: a Dot-string (with RFC 6531's UTF-8), or a Quoted-string of
    // qtextSMTP and quoted-pairs, printable ASCII and space within.
    private static readonly Gen<string> LocalPart = Gen.Frequency(
        (4, Gen.Frequency((8, Gen.Char[AText]), (1, Gen.Char["éü中"])).Array[1, 10].Select(c => new string(c)).Array[1, 3].Select(a => string.Join('.', a))),
        (1, Gen.Frequency(
                (6, Gen.Char[' ', '~'].Where(c => c is not ('"' or '\\')).Select(c => c.ToString())),
                (1, Gen.Char[' ', '~'].Select(c => "\\" + c)))
            .Array[0, 12].Select(q => "\"" + string.Concat(q) + "\"")));

    private static readonly Gen<string> Label =
        Gen.Select(Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789"], Text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", 0, 20), Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789"], Gen.Bool)
            .Select((first, middle, last, one) => one ? first.ToString() : first + middle + last);

    private static readonly Gen<string> Domain = Gen.Frequency(
        (6, Label.Array[1, 4].Select(l => string.Join('.', l))),
        (1, Gen.Byte.Array[4].Select(b => $"[{b[0]}.{b[1]}.{b[2]}.{b[3]}]")),
        (1, Gen.Byte.Array[16].Select(b => $"[IPv6:{new System.Net.IPAddress(b)}]")));

    private static readonly Gen<string> Mailbox = Gen.Select(LocalPart, Domain, (l, d) => l + "@" + d);

    // esmtp-keyword and esmtp-value (RFC 5321 §4.1.2); a value has no '=', no blank, no control.
    private static readonly Gen<string> Keyword =
        Gen.Select(Gen.Char["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"], Text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-", 0, 10), (a, b) => a + b);

    private static readonly Gen<string?> Value = Gen.Char['!', '~'].Where(c => c != '=').Array[1, 20].Select(c => new string(c)).Null(0.3);

    private static readonly Gen<(string Keyword, string? Value)[]> Parameters =
        Gen.Select(Keyword, Value).Array[0, 5].Select(p => p.DistinctBy(x => x.Item1.ToUpperInvariant()).ToArray());

    private static string Blanks(int n) => new(' ', n);

    private static string Format(string keyword, string path, IEnumerable<string> parameters, int afterColon, int between) =>
        keyword + ":" + Blanks(afterColon) + "<" + path + ">" + string.Concat(parameters.Select(p => Blanks(between) + p));

    [Fact]
    public void a_path_and_its_parameters_parse_back_to_what_was_written()
    {
        Gen.Select(Gen.OneOf("FROM", "TO").SelectMany(AnyCase), Mailbox.Null(0.1), Label.Array[0, 2], Parameters, Gen.Int[0, 1], Gen.Int[1, 3])
            .Sample((keyword, address, route, parameters, afterColon, between) =>
            {
                // A source route (RFC 5321 §4.1.2 A-d-l, dropped as §C says) before the mailbox.
                var path = route.Length == 0 || address is null ? address ?? "" : string.Join(',', route.Select(r => "@" + r + ".example")) + ":" + address;
                var argument = Format(keyword, path, parameters.Select(p => p.Value is null ? p.Keyword : p.Keyword + "=" + p.Value), afterColon, between);
                var parsed = PathArgument.Parse(argument, keyword.ToUpperInvariant(), allowNull: true, out var error);
                Assert.True(parsed is not null, $"{argument}: {error}");
                Assert.Equal(address ?? "", parsed.Address);
                Assert.Equal(parameters.ToDictionary(p => p.Keyword.ToUpperInvariant(), p => p.Value).OrderBy(p => p.Key, StringComparer.Ordinal),
                    parsed.Parameters.OrderBy(p => p.Key, StringComparer.Ordinal));
            });
    }

    // xtext (RFC 3461 §4), written here apart from the code's encoder.
    private static string Xtext(string text) =>
        string.Concat(Encoding.UTF8.GetBytes(text).Select(b => b is > 32 and < 127 and not (byte)'+' and not (byte)'='
            ? ((char)b).ToString() : "+" + b.ToString("X2", CultureInfo.InvariantCulture)));

    [Fact]
    public void mail_parameters_parse_back_to_what_was_written()
    {
        var envid = Gen.Frequency((8, Gen.Char[' ', '~']), (1, Gen.Char["éü中"])).Array[1, 30].Select(c => new string(c)).Null(0.5);
        Gen.Select(Gen.Long[0, 1L << 40].Nullable(0.5), Gen.OneOf("7bit", "8bitmime").SelectMany(AnyCase).Null(0.5), Gen.Bool,
                Gen.OneOf("full", "hdrs").SelectMany(AnyCase).Null(0.5), envid, Gen.Bool, Gen.Int.Array[6])
            .Sample((size, body, utf8, ret, id, prdr, order) =>
            {
                var words = new List<string>();
                if (size is { } s)
                    words.Add("SIZE=" + s.ToString(CultureInfo.InvariantCulture));
                if (body is not null)
                    words.Add("BODY=" + body);
                if (utf8)
                    words.Add("SMTPUTF8");
                if (ret is not null)
                    words.Add("RET=" + ret);
                if (id is not null)
                    words.Add("ENVID=" + Xtext(id));
                if (prdr)
                    words.Add("PRDR");
                var shuffled = words.Zip(order).OrderBy(w => w.Second).Select(w => w.First).ToList();
                var argument = Format("FROM", "sender@example.com", shuffled, 0, 1);
                var path = PathArgument.Parse(argument, "FROM", allowNull: true, out var error);
                Assert.True(path is not null, $"{argument}: {error}");
                var parsed = MailParameters.Parse(path.Parameters, prdrOffered: true, out var refusal);
                Assert.True(parsed is not null, $"{argument}: {refusal}");
                Assert.Equal(new MailParameters(size, body?.ToUpperInvariant() ?? "7BIT", utf8, ret?.ToUpperInvariant(), id, prdr), parsed);
            });
    }

    private static readonly string[] NotifyItems = ["success", "failure", "delay"];

    [Fact]
    public void rcpt_parameters_parse_back_to_what_was_written()
    {
        var notify = Gen.Frequency(
            (1, Gen.Const("never")),
            (3, Gen.Select(Gen.Int.Array[3], Gen.Int[1, 3], (keys, count) =>
                string.Join(',', NotifyItems.Zip(keys).OrderBy(x => x.Second).Take(count).Select(x => x.First)))))
            .SelectMany(AnyCase).Null(0.3);
        Gen.Select(notify, Mailbox.Null(0.4), Gen.Bool).Sample((n, original, swap) =>
        {
            var words = new List<string>();
            if (n is not null)
                words.Add("NOTIFY=" + n);
            var orcpt = original is null ? null : "rfc822;" + Xtext(original);
            if (orcpt is not null)
                words.Add("ORCPT=" + orcpt);
            if (swap)
                words.Reverse();
            var argument = Format("TO", "rcpt@example.com", words, 0, 1);
            var path = PathArgument.Parse(argument, "TO", allowNull: false, out var error);
            Assert.True(path is not null, $"{argument}: {error}");
            var parsed = RcptParameters.Parse(path.Parameters, out var refusal);
            Assert.True(parsed is not null, $"{argument}: {refusal}");
            Assert.Equal(new RcptParameters(n?.ToUpperInvariant(), orcpt), parsed);
        });
    }

    // ---- DATA and BDAT content ----

    // Lines of text (dots, blanks, UTF-8, a lone "." among them) and line endings: CRLF, or when
    // bare is set also a bare LF or a bare CR.
    private static Gen<string> Content(bool bare) =>
        Gen.Select(
                Gen.Frequency((4, Text(' ', '~', 0, 12)), (2, Gen.OneOf(".", "..", ".x", ". ", "")), (1, Text("é中.", 1, 4))),
                bare ? Gen.Frequency((4, Gen.Const("\r\n")), (1, Gen.Const("\n")), (1, Gen.Const("\r"))) : Gen.Const("\r\n"),
                (line, ending) => line + ending)
            .Array[0, 12].Select(string.Concat)
            .SelectMany(c => Gen.Bool.Select(cut => cut && !bare && c.EndsWith("\r\n", StringComparison.Ordinal) ? c[..^2] : c));

    // The sender's side (RFC 5321 §4.5.2, as delivery's DotStuffing writes it): a dot that
    // begins the content or follows a LF is doubled; CRLF.CRLF ends the data.
    private static string Stuff(string content) =>
        (content.StartsWith('.') ? "." : "") + content.Replace("\n.", "\n..", StringComparison.Ordinal)
        + (content.Length == 0 || content.EndsWith("\r\n", StringComparison.Ordinal) ? ".\r\n" : "\r\n.\r\n");

    // Every bare LF or CR as CRLF, as the decoder stores line endings.
    private static string Normalized(string content, out int bare)
    {
        var text = new StringBuilder();
        bare = 0;
        for (var i = 0; i < content.Length; i++)
        {
            if (content[i] == '\r' && i + 1 < content.Length && content[i + 1] == '\n')
            {
                text.Append("\r\n");
                i++;
            }
            else if (content[i] is '\r' or '\n')
            {
                text.Append("\r\n");
                bare++;
            }
            else
                text.Append(content[i]);
        }

        return text.ToString();
    }

    // Feeds the bytes cut at the given places, as a connection would; keeps what the decoder
    // left unconsumed for the next read.
    private static (string Content, bool Ended, string Left, DataDecoder Decoder) Decode(byte[] bytes, int[] cuts, bool dotStuffed)
    {
        var decoder = new DataDecoder(1 << 20, 1000, dotStuffed);
        var output = new ArrayBufferWriter<byte>();
        var points = cuts.Select(c => c % (bytes.Length + 1)).Append(bytes.Length).Distinct().Order().ToArray();
        var pending = Array.Empty<byte>();
        var start = 0;
        var ended = false;
        foreach (var point in points)
        {
            pending = [.. pending, .. bytes[start..point]];
            start = point;
            var buffer = pending.Length == 0 ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(pending);
            ended = decoder.Decode(ref buffer, output);
            pending = buffer.ToArray();
            if (ended)
            {
                pending = [.. pending, .. bytes[start..]];
                break;
            }
        }

        if (!dotStuffed)
            decoder.Complete(output);
        return (Encoding.UTF8.GetString(output.WrittenSpan), ended, Encoding.UTF8.GetString(pending), decoder);
    }

    [Fact]
    public void dot_stuffed_content_decodes_to_the_original_however_it_is_chunked()
    {
        Gen.Select(Content(bare: false), Gen.Int[0, 10_000].Array[0, 8]).Sample((content, cuts) =>
        {
            var bytes = Encoding.UTF8.GetBytes(Stuff(content) + "QUIT\r\n");
            var (decoded, ended, left, decoder) = Decode(bytes, cuts, dotStuffed: true);
            Assert.True(ended);
            // The CRLF of CRLF.CRLF ends the last line when the content did not (§4.1.1.4).
            Assert.Equal(content.Length == 0 || content.EndsWith("\r\n", StringComparison.Ordinal) ? content : content + "\r\n", decoded);
            Assert.Equal("QUIT\r\n", left);
            Assert.Equal(0, decoder.BareLineEndings);
        });
    }

    // Bare LFs and CRs never end the data and are stored as CRLF; a dot after a LF, bare or not,
    // is stuffing, and one after a bare CR is content (the decoder's stated rule).
    [Fact]
    public void bare_line_endings_are_stored_as_crlf_and_never_end_the_data()
    {
        Gen.Select(Content(bare: true), Gen.Int[0, 10_000].Array[0, 8]).Sample((content, cuts) =>
        {
            var bytes = Encoding.UTF8.GetBytes(Stuff(content) + "QUIT\r\n");
            var (decoded, ended, left, decoder) = Decode(bytes, cuts, dotStuffed: true);
            var expected = Normalized(content.EndsWith("\r\n", StringComparison.Ordinal) || content.Length == 0 ? content : content + "\r\n", out var bare);
            Assert.True(ended);
            Assert.Equal(expected, decoded);
            Assert.Equal("QUIT\r\n", left);
            Assert.Equal(bare, decoder.BareLineEndings);
        });
    }

    [Fact]
    public void bdat_content_is_kept_as_sent_however_it_is_chunked()
    {
        Gen.Select(Content(bare: false), Gen.Int[0, 10_000].Array[0, 8]).Sample((content, cuts) =>
        {
            var (decoded, ended, left, _) = Decode(Encoding.UTF8.GetBytes(content), cuts, dotStuffed: false);
            Assert.False(ended);
            Assert.Equal(content, decoded);
            Assert.Equal("", left);
        });
        Gen.Select(Content(bare: true), Gen.Int[0, 10_000].Array[0, 8]).Sample((content, cuts) =>
        {
            var (decoded, _, _, decoder) = Decode(Encoding.UTF8.GetBytes(content), cuts, dotStuffed: false);
            Assert.Equal(Normalized(content, out var bare), decoded);
            Assert.Equal(bare, decoder.BareLineEndings);
        });
    }
}
