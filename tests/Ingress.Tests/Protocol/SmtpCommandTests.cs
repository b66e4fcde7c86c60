using System.Buffers;
using Pipeline.Ingress.Protocol;
using Pipeline.Tests.Shared;

namespace Pipeline.Ingress.Tests.Protocol;

public class SmtpCommandTests
{
    [Theory]
    [InlineData("EHLO client.example", SmtpVerb.Ehlo, "client.example")]
    [InlineData("ehlo client.example", SmtpVerb.Ehlo, "client.example")]
    [InlineData("MAIL FROM:<a@b.c>  ", SmtpVerb.Mail, "FROM:<a@b.c>")]
    [InlineData("QUIT", SmtpVerb.Quit, "")]
    [InlineData("GET / HTTP/1.1", SmtpVerb.Http, "/ HTTP/1.1")]
    [InlineData("connect mx.example:25 HTTP/1.1", SmtpVerb.Http, "mx.example:25 HTTP/1.1")]
    [InlineData("GETX /", SmtpVerb.Unknown, "/")]
    [InlineData("", SmtpVerb.Unknown, "")]
    public void verbs_are_recognized_case_insensitively(string line, SmtpVerb verb, string argument)
    {
        var command = SmtpCommand.Parse(line);
        Assert.Equal(verb, command.Verb);
        Assert.Equal(argument, command.Argument);
    }

    public static TheoryData<byte[], CommandDefect> Lines => new()
    {
        { "MAIL FROM:<a@b.c>"u8.ToArray(), CommandDefect.None },
        { "MAIL FROM:<\u00e9@b.c> SMTPUTF8"u8.ToArray(), CommandDefect.None },
        { [.. "MAIL FROM:<a"u8, 0xC3, 0x28, .. "@b.c>"u8], CommandDefect.InvalidUtf8 },
        { [.. "RCPT TO:<a"u8, 0xFF, .. ">"u8], CommandDefect.InvalidUtf8 },
        { [.. "RCPT TO:<a"u8, 0xED, 0xA0, 0x80, .. ">"u8], CommandDefect.InvalidUtf8 }, // a UTF-16 surrogate
        { [.. "NO"u8, 0x00, .. "OP"u8], CommandDefect.Nul },
        { [0x00, 0xFF], CommandDefect.Nul },
    };

    [Theory]
    [MemberData(nameof(Lines))]
    public void inspects_the_bytes_of_a_line_split_anywhere(byte[] line, CommandDefect expected)
    {
        Assert.Equal(expected, SmtpCommand.Inspect(new ReadOnlySequence<byte>(line)));
        for (var split = 1; split < line.Length; split++)
            Assert.Equal(expected, SmtpCommand.Inspect(Segments.Of(line[..split], line[split..])));
    }
}
