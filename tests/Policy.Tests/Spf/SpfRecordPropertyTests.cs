using System.Globalization;
using System.Net;
using System.Text;
using CsCheck;
using Pipeline.Policy.Spf;

namespace Pipeline.Policy.Tests.Spf;

/// <summary>
/// SPF records written here from the ABNF of RFC 7208 §4.6.1, §5 and §12 parse to the
/// mechanisms and modifiers written; macros expand as §7 says, its own examples (§7.4) among
/// the checks.
/// </summary>
public class SpfRecordPropertyTests
{
    private static Gen<string> Text(string chars, int min, int max) => Gen.Char[chars].Array[min, max].Select(c => new string(c));

    private static Gen<string> AnyCase(string word) =>
        Gen.Bool.Array[word.Length].Select(upper => new string(word.Select((c, i) => upper[i] ? char.ToUpperInvariant(c) : c).ToArray()));

    private const string Delimiters = ".-+,/_=";

    // macro-expand (§7.1): "%{" letter transformers *delimiter "}", letters in either case.
    private static Gen<string> Macro(string letters) =>
        Gen.Select(Gen.Char[letters + letters.ToUpperInvariant()], Gen.Int[1, 128].Nullable(0.6), Gen.Bool, Text(Delimiters, 0, 3))
            .Select((letter, digits, reverse, delimiters) => $"%{{{letter}{digits}{(reverse ? "r" : "")}{delimiters}}}");

    // domain-spec = macro-string domain-end; domain-end = ( "." toplabel [ "." ] ) / macro-expand.
    private static readonly Gen<string> TopLabel =
        Gen.Select(Text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 0, 5), Gen.Char["abcdefghijklmnopqrstuvwxyz"], Text("abcdefghijklmnopqrstuvwxyz0123456789", 0, 5),
            (a, letter, b) => a + letter + b);

    private static readonly Gen<string> Chunk = Gen.Frequency(
        (3, Text("abcdefghijklmnopqrstuvwxyz0123456789-_", 1, 10)),
        (1, Macro("slodiphv")),
        (1, Gen.OneOf("%%", "%_", "%-")));

    private static readonly Gen<string> DomainSpec = Gen.Select(Chunk.Array[1, 3].Array[0, 3], Gen.Bool, TopLabel, Gen.Bool, Macro("slodiphv"))
        .Select((labels, macroEnd, top, dot, macro) =>
        {
            var body = string.Join('.', labels.Select(l => string.Concat(l)));
            // An empty macro-string before "." toplabel is allowed: ".example" is a domain-spec.
            return macroEnd ? (body.Length == 0 ? macro : body + "." + macro) : body + "." + top + (dot ? "." : "");
        });

    private static readonly (string Prefix, SpfResult Result)[] Qualifiers =
        [("", SpfResult.Pass), ("+", SpfResult.Pass), ("-", SpfResult.Fail), ("~", SpfResult.SoftFail), ("?", SpfResult.Neutral)];

    private static string V6(IPAddress address, bool full) => full
        ? string.Join(':', Enumerable.Range(0, 8).Select(i => (address.GetAddressBytes()[2 * i] << 8 | address.GetAddressBytes()[2 * i + 1]).ToString("X", CultureInfo.InvariantCulture)))
        : address.ToString();

    // One directive (§4.6.2, §5), as written and as it must parse.
    private static readonly Gen<(string Text, MechanismKind Kind, string? Domain, IPAddress? Network, int Ip4, int Ip6)> Term = Gen.OneOf(
        Gen.Const(("all", MechanismKind.All, (string?)null, (IPAddress?)null, 32, 128)),
        Gen.Select(Gen.OneOf(MechanismKind.Include, MechanismKind.Exists), DomainSpec,
            (kind, domain) => ($"{kind.ToString().ToLowerInvariant()}:{domain}", kind, (string?)domain, (IPAddress?)null, 32, 128)),
        DomainSpec.Null(0.5).Select(domain => (domain is null ? "ptr" : "ptr:" + domain, MechanismKind.Ptr, domain, (IPAddress?)null, 32, 128)),
        Gen.Select(Gen.OneOf(MechanismKind.A, MechanismKind.Mx), DomainSpec.Null(0.4), Gen.Int[0, 32].Nullable(0.5), Gen.Int[0, 128].Nullable(0.5),
            (kind, domain, ip4, ip6) => (kind.ToString().ToLowerInvariant() + (domain is null ? "" : ":" + domain) + (ip4 is null ? "" : "/" + ip4) + (ip6 is null ? "" : "//" + ip6),
                kind, domain, (IPAddress?)null, ip4 ?? 32, ip6 ?? 128)),
        Gen.Select(Gen.Byte.Array[4], Gen.Int[0, 32].Nullable(0.4),
            (b, length) => ("ip4:" + new IPAddress(b) + (length is null ? "" : "/" + length), MechanismKind.Ip4, (string?)null, (IPAddress?)new IPAddress(b), length ?? 32, 128)),
        Gen.Select(Gen.Byte.Array[16], Gen.Bool, Gen.Int[0, 128].Nullable(0.4),
            (b, full, length) => ("ip6:" + V6(new IPAddress(b), full) + (length is null ? "" : "/" + length), MechanismKind.Ip6, (string?)null, (IPAddress?)new IPAddress(b), 32, length ?? 128)));

    private static readonly Gen<(string Text, Mechanism Expected)> Directive =
        Gen.Select(Gen.OneOf(Qualifiers), Term).SelectMany((q, t) =>
        {
            var colon = t.Text.IndexOfAny([':', '/']);
            var name = colon < 0 ? t.Text : t.Text[..colon];
            return AnyCase(name).Select(n => (q.Prefix + n + t.Text[name.Length..], new Mechanism(q.Result, t.Kind, t.Domain, t.Network, t.Ip4, t.Ip6)));
        });

    // An unknown modifier (§6: "name" "=" macro-string), which is checked and ignored.
    private static readonly Gen<string> Unknown = Gen.Select(
            Gen.Char["abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"], Text("abcdefghijklmnopqrstuvwxyz0123456789-_.", 0, 8),
            Gen.Frequency((3, Text("abcdefghijklmnopqrstuvwxyz0123456789.-_!#$&*+/:;<>?@[]^`{|}~", 0, 12)), (1, Macro("slodiphv"))))
        .Where((first, rest, _) => !(first + rest).Equals("redirect", StringComparison.OrdinalIgnoreCase) && !(first + rest).Equals("exp", StringComparison.OrdinalIgnoreCase))
        .Select((first, rest, value) => first + rest + "=" + value);

    [Fact]
    public void a_generated_record_parses_to_its_mechanisms_and_modifiers()
    {
        Gen.Select(Directive.Array[0, 8], DomainSpec.Null(0.5), DomainSpec.Null(0.5), Unknown.Array[0, 2], Gen.Int[0, 1000].Array[4], Gen.Int[1, 3].Array[12])
            .Sample((directives, redirect, exp, unknown, places, blanks) =>
            {
                // Modifiers anywhere among the directives, whose order is kept.
                var terms = directives.Select(d => d.Text).ToList();
                var modifiers = new[] { redirect is null ? null : "redirect=" + redirect, exp is null ? null : "exp=" + exp }.Concat(unknown).OfType<string>();
                foreach (var (modifier, place) in modifiers.Zip(places))
                    terms.Insert(place % (terms.Count + 1), modifier);
                var record = "v=spf1" + string.Concat(terms.Select((t, i) => new string(' ', blanks[i % blanks.Length]) + t)) + (places[0] % 3 == 0 ? " " : "");

                Assert.True(SpfRecord.IsSpf(record), record);
                var parsed = SpfRecord.Parse(record, out var problem);
                Assert.True(parsed is not null, $"{record}: {problem}");
                Assert.Equal(directives.Select(d => d.Expected), parsed.Mechanisms);
                Assert.Equal(redirect, parsed.Redirect);
                Assert.Equal(exp, parsed.Explanation);
            });
    }

    // A second redirect= or exp= makes the record a permerror (§6: "MUST NOT appear more than once").
    [Fact]
    public void a_repeated_redirect_or_exp_is_a_permerror()
    {
        Gen.Select(Directive.Array[0, 4], Gen.OneOf("redirect", "exp").SelectMany(AnyCase), DomainSpec, DomainSpec).Sample((directives, name, first, second) =>
        {
            var record = "v=spf1 " + string.Join(' ', directives.Select(d => d.Text).Append($"{name}={first}").Append($"{name.ToUpperInvariant()}={second}"));
            Assert.Null(SpfRecord.Parse(record, out _));
        });
    }

    // ---- macros (§7) ----

    private static readonly Gen<MacroContext> Context = Gen.Select(
        Text("abcdefghijklmnopqrstuvwxyz0123456789-+._", 0, 12),
        Gen.Select(Text("abcdefghijklmnopqrstuvwxyz0123456789-", 1, 10).Array[1, 5], x => string.Join('.', x)),
        Gen.Select(Text("abcdefghijklmnopqrstuvwxyz0123456789-", 1, 10).Array[1, 5], x => string.Join('.', x)),
        Gen.OneOf(Gen.Byte.Array[4], Gen.Byte.Array[16]).Select(b => new IPAddress(b)),
        Text("abcdefghijklmnopqrstuvwxyz0123456789.-", 1, 20),
        (local, senderDomain, domain, client, helo) => new MacroContext(
            local.Length == 0 ? "postmaster@" + senderDomain : local + "@" + senderDomain, domain, client, helo, "mx.receiver.example"));

    private const string Ptr = "mail.client.example";

    // §7.3 values of the letters.
    private static string Value(char letter, MacroContext c) => char.ToLowerInvariant(letter) switch
    {
        's' => c.Sender,
        'l' => c.Sender[..c.Sender.LastIndexOf('@')],
        'o' => c.Sender[(c.Sender.LastIndexOf('@') + 1)..],
        'd' => c.Domain,
        // IPv4 dotted; IPv6 as 32 nibbles, upper case (the expander's stated choice).
        'i' => c.Client.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
            ? string.Join('.', c.Client.GetAddressBytes())
            : string.Join('.', Convert.ToHexString(c.Client.GetAddressBytes()).ToCharArray()),
        'p' => Ptr,
        'v' => c.Client.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? "in-addr" : "ip6",
        'h' => c.Helo,
        'c' => c.Client.ToString(),
        'r' => c.Receiver,
        _ => throw new ArgumentOutOfRangeException(nameof(letter)),
    };

    // §7.3: split at any of the delimiters (default "."), reverse when asked, keep the right-hand
    // parts the digits say (all when they say more), join with "."; upper-case letters then
    // URL-escape everything outside RFC 3986's unreserved set.
    private static string Expected(char letter, int? digits, bool reverse, string delimiters, MacroContext c)
    {
        var parts = Value(letter, c).Split((delimiters.Length == 0 ? "." : delimiters).ToCharArray());
        if (reverse)
            Array.Reverse(parts);
        if (digits is { } n && n < parts.Length)
            parts = parts[^n..];
        var value = string.Join('.', parts);
        return char.IsUpper(letter) ? Escape(value) : value;
    }

    private static string Escape(string value) => string.Concat(Encoding.UTF8.GetBytes(value).Select(b =>
        char.IsAsciiLetterOrDigit((char)b) || b is (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~'
            ? ((char)b).ToString() : "%" + b.ToString("X2", CultureInfo.InvariantCulture)));

    private static Gen<(string Text, Func<MacroContext, string> Expected)> Piece(bool explanation)
    {
        var letters = explanation ? "slodiphvcr" : "slodiphv";
        var literal = explanation ? " !\"#$&'()*+,-./0123456789:;<=>?@ABCXYZ[\\]^_`abcxyz{|}~" : "!\"#$&'()*+,-./0123456789:;<=>?@ABCXYZ[\\]^_`abcxyz{|}~";
        return Gen.Frequency(
            (3, Text(literal, 1, 6).Select(t => (t, (Func<MacroContext, string>)(_ => t)))),
            (1, Gen.OneOf(("%%", "%"), ("%_", " "), ("%-", "%20")).Select(e => (e.Item1, (Func<MacroContext, string>)(_ => e.Item2)))),
            (4, Gen.Select(Gen.Char[letters + letters.ToUpperInvariant()], Gen.Frequency((4, Gen.Int[1, 6]), (1, Gen.Int[7, 200])).Nullable(0.4), Gen.Bool, Text(Delimiters, 0, 3),
                (letter, digits, reverse, delimiters) => ($"%{{{letter}{digits}{(reverse ? "r" : "")}{delimiters}}}",
                    (Func<MacroContext, string>)(c => Expected(letter, digits, reverse, delimiters, c))))));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task a_macro_string_expands_as_section_7_says(bool explanation)
    {
        await Gen.Select(Piece(explanation).Array[0, 6], Context).SampleAsync(async x =>
        {
            var (pieces, context) = x;
            var text = string.Concat(pieces.Select(p => p.Text));
            Assert.True(MacroExpander.IsMacroString(text, explanation), text);
            var expanded = await MacroExpander.ExpandAsync(text, context, explanation, () => Task.FromResult(Ptr));
            Assert.Equal(string.Concat(pieces.Select(p => p.Expected(context))), expanded);
        });
    }

    // %{t} (exp only) is the time as seconds since the epoch.
    [Fact]
    public async Task t_expands_to_the_current_unix_time()
    {
        var context = new MacroContext("a@b.example", "b.example", IPAddress.Loopback, "h", "r");
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var expanded = await MacroExpander.ExpandAsync("%{t}", context, true, () => Task.FromResult(Ptr));
        Assert.InRange(long.Parse(expanded!, CultureInfo.InvariantCulture), before, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
    }

    // Letters outside a domain-spec's set, a zero digit transformer, a '%' not starting a macro,
    // an unclosed macro and characters outside macro-literal are not macro-strings.
    [Theory]
    [InlineData("%{c}")]
    [InlineData("%{r}")]
    [InlineData("%{t}")]
    [InlineData("%{x}")]
    [InlineData("%{d0}")]
    [InlineData("%{d")]
    [InlineData("%d")]
    [InlineData("%")]
    [InlineData("a b")]
    [InlineData("%{d:}")]
    public void invalid_macro_strings_are_refused(string text) => Assert.False(MacroExpander.IsMacroString(text, explanation: false));

    // RFC 7208 §7.4, every example: sender strong-bad@email.example.com, IPv4 client 192.0.2.3,
    // IPv6 client 2001:db8::cb01, PTR name mx.example.org.
    [Theory]
    [InlineData("%{s}", "strong-bad@email.example.com", false)]
    [InlineData("%{o}", "email.example.com", false)]
    [InlineData("%{d}", "email.example.com", false)]
    [InlineData("%{d4}", "email.example.com", false)]
    [InlineData("%{d3}", "email.example.com", false)]
    [InlineData("%{d2}", "example.com", false)]
    [InlineData("%{d1}", "com", false)]
    [InlineData("%{dr}", "com.example.email", false)]
    [InlineData("%{d2r}", "example.email", false)]
    [InlineData("%{l}", "strong-bad", false)]
    [InlineData("%{l-}", "strong.bad", false)]
    [InlineData("%{lr}", "strong-bad", false)]
    [InlineData("%{lr-}", "bad.strong", false)]
    [InlineData("%{l1r-}", "strong", false)]
    [InlineData("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com", false)]
    [InlineData("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com", false)]
    [InlineData("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com", false)]
    [InlineData("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com", false)]
    [InlineData("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net", false)]
    [InlineData("%{ir}.%{v}._spf.%{d2}", "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com", true)]
    public async Task the_examples_of_section_7_4_expand_as_written(string macro, string expansion, bool ipv6)
    {
        var context = new MacroContext("strong-bad@email.example.com", "email.example.com",
            IPAddress.Parse(ipv6 ? "2001:db8::cb01" : "192.0.2.3"), "helo.example", "receiver.example");
        var expanded = await MacroExpander.ExpandAsync(macro, context, false, () => Task.FromResult("mx.example.org"));
        // The expander writes IPv6 nibbles in upper case (its stated choice); DNS ignores case.
        Assert.Equal(expansion, expanded, ignoreCase: ipv6);
    }

    // §7.3: a name over 253 characters loses labels from the left until it fits.
    [Fact]
    public void truncation_drops_whole_labels_from_the_left_until_253_characters_remain()
    {
        Text("abcdefghij", 1, 63).Array[1, 20].Select(l => string.Join('.', l)).Sample(name =>
        {
            var truncated = MacroExpander.Truncate(name);
            Assert.EndsWith(truncated, name, StringComparison.Ordinal);
            if (name.Length <= 253)
            {
                Assert.Equal(name, truncated);
                return;
            }

            Assert.True(truncated.Length <= 253);
            var dropped = name[..^truncated.Length];
            Assert.EndsWith(".", dropped, StringComparison.Ordinal);
            // One label more would not fit.
            var last = dropped[..^1].LastIndexOf('.');
            Assert.True(dropped.Length - last - 1 + truncated.Length > 253);
        });
    }
}
