using System.Buffers;
using System.Text;
using Pipeline.Infrastructure.Protocol;
using Pipeline.Ingress.Protocol;
using Pipeline.Tests.Shared;

namespace Pipeline.Fuzz.Targets;

/// <summary>
/// The SMTP command line as ingress reads it: the byte checks (NUL, UTF-8), the verb split, the
/// MAIL/RCPT path and its parameters, and xtext (ENVID, ORCPT).
/// </summary>
internal static class SmtpCommandTarget
{
    public static void Run(byte[] input)
    {
        var defect = SmtpCommand.Inspect(new ReadOnlySequence<byte>(input));
        Property.Require(defect == SmtpCommand.Inspect(Segments.Split(input, Property.PartSize(input))),
            "the byte checks depend on how the line arrived");
        Property.Require((defect == CommandDefect.Nul) == input.Contains((byte)0), "NUL found where there is none, or missed");
        if (defect != CommandDefect.None)
            return;

        var line = Encoding.UTF8.GetString(input);
        Property.Require(Encoding.UTF8.GetBytes(line).AsSpan().SequenceEqual(input), "a line that passed the UTF-8 check does not round-trip");

        var command = SmtpCommand.Parse(line);
        var again = SmtpCommand.Parse(command.Argument.Length == 0 ? command.Text : $"{command.Text} {command.Argument}");
        Property.Require(again == command || command.Argument.Length == 0 && again.Verb == command.Verb,
            "a command written back from its parts parses differently");

        if (command.Verb is SmtpVerb.Mail or SmtpVerb.Rcpt)
            CheckPath(command.Argument, command.Verb == SmtpVerb.Mail ? "FROM" : "TO");

        var decoded = Xtext.Decode(line);
        Property.Require(Xtext.Decode(Xtext.Encode(line)) == line, "xtext does not round-trip a line");
        if (decoded is not null)
            Property.Require(Xtext.Decode(Xtext.Encode(decoded)) == decoded, "decoded xtext does not round-trip");
    }

    private static void CheckPath(string argument, string keyword)
    {
        var path = PathArgument.Parse(argument, keyword, allowNull: keyword == "FROM", out var error);
        Property.Require(path is not null || error.Length > 0, "a refused path without a reason");
        if (path is null)
            return;

        // Written back in its canonical form, the path parses to the same address and parameters.
        var written = new StringBuilder($"{keyword}:<{path.Address}>");
        foreach (var (name, value) in path.Parameters)
            written.Append(' ').Append(name).Append(value is null ? "" : "=" + value);
        var reparsed = PathArgument.Parse(written.ToString(), keyword, allowNull: keyword == "FROM", out var again);
        Property.Require(reparsed is not null, $"the canonical form of a parsed path is refused: {again}");
        Property.Require(reparsed!.Address == path.Address, "the address changed on a round trip");
        Property.Require(reparsed.Parameters.Count == path.Parameters.Count
            && path.Parameters.All(p => reparsed.Parameters.TryGetValue(p.Key, out var v) && v == p.Value),
            "the parameters changed on a round trip");
        Property.Require(!path.Address.Any(char.IsControl), "a control character in an address");

        if (keyword == "FROM")
        {
            var mail = MailParameters.Parse(path.Parameters, prdrOffered: true, out var mailError);
            Property.Require(mail is not null || mailError is { Code: >= 500 }, "a refused MAIL parameter without a 5xx reply");
        }
        else
        {
            var rcpt = RcptParameters.Parse(path.Parameters, out var rcptError);
            Property.Require(rcpt is not null || rcptError is { Code: >= 500 }, "a refused RCPT parameter without a 5xx reply");
        }
    }
}
