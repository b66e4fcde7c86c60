using Pipeline.Ingress.Protocol;

namespace Pipeline.Ingress.Tests.Protocol;

public class SmtpCommandTests
{
    [Theory]
    [InlineData("EHLO client.example", SmtpVerb.Ehlo, "client.example")]
    [InlineData("ehlo client.example", SmtpVerb.Ehlo, "client.example")]
    [InlineData("MAIL FROM:<a@b.c>  ", SmtpVerb.Mail, "FROM:<a@b.c>")]
    [InlineData("QUIT", SmtpVerb.Quit, "")]
    [InlineData("GET / HTTP/1.1", SmtpVerb.Unknown, "/ HTTP/1.1")]
    [InlineData("", SmtpVerb.Unknown, "")]
    public void verbs_are_recognized_case_insensitively(string line, SmtpVerb verb, string argument)
    {
        var command = SmtpCommand.Parse(line);
        Assert.Equal(verb, command.Verb);
        Assert.Equal(argument, command.Argument);
    }
}
