using CsCheck;
using Pipeline.Ingress.Protocol;

namespace Pipeline.Ingress.Tests.Protocol;

public class SmtpReplyTests
{
    [Fact]
    public void writes_enhanced_codes_on_every_line_only_when_asked()
    {
        var reply = new SmtpReply(550, "5.7.1", "no").WithLine("too many syntax or protocol errors - closing connection");

        Assert.Equal("550-5.7.1 no\r\n550 5.7.1 too many syntax or protocol errors - closing connection\r\n", reply.Write(enhanced: true));
        Assert.Equal("550-no\r\n550 too many syntax or protocol errors - closing connection\r\n", reply.Write(enhanced: false));
        Assert.Equal("250 mx.example.test Hello [192.0.2.1]\r\n", new SmtpReply(250, null, "mx.example.test Hello [192.0.2.1]").Write(enhanced: true));
    }

    [Fact]
    public void composes_unless_the_text_brings_its_own_code_of_the_same_class()
    {
        Assert.Equal("550 5.7.1 go away", SmtpReply.Compose(550, "5.7.1", "go away").ToString());
        Assert.Equal("550 5.1.1 no such user", SmtpReply.Compose(550, "5.7.1", "5.1.1 no such user").ToString());
        Assert.Equal("451 4.7.1 2.0.0 mismatched", SmtpReply.Compose(451, "4.7.1", "2.0.0 mismatched").ToString());
    }

    [Fact]
    public void a_rule_message_cannot_break_the_reply_with_control_characters()
    {
        var reply = SmtpReply.Compose(550, "5.7.1", "bad\r\n250 smuggled\nsecond line");

        // A line break makes another line of the same reply, never a reply of its own.
        Assert.Equal("550-5.7.1 bad?\r\n550-5.7.1 250 smuggled\r\n550 5.7.1 second line\r\n", reply.Write(enhanced: true));
    }

    [Fact]
    public void a_new_code_takes_its_class_into_the_enhanced_code()
    {
        // Exim answers a refused connection with 554 or 421 whatever the rule's code.
        var denied = SmtpReply.Compose(550, "5.7.1", "5.7.0 go away");

        Assert.Equal("554 5.7.0 go away", denied.WithCode(554).ToString());
        Assert.Equal("421 4.7.0 go away", denied.WithCode(421).ToString());
        Assert.Equal("421 no code", new SmtpReply(550, null, "no code").WithCode(421).ToString());
    }

    [Theory]
    [InlineData(199, null)]
    [InlineData(600, null)]
    [InlineData(550, "4.7.1")]
    [InlineData(250, "2.0")]
    [InlineData(250, "2.0.0 ")]
    public void refuses_codes_that_cannot_be(int code, string? enhanced) =>
        Assert.Throws<ArgumentException>(() => new SmtpReply(code, enhanced, "text"));

    [Theory]
    [InlineData("2xx OK")]
    [InlineData("25")]
    [InlineData("250-more")]
    [InlineData("650 out of range")]
    public void parse_refuses_what_is_no_reply_line(string line) => Assert.Null(SmtpReply.Parse(line));

    private static readonly Gen<SmtpReply> Replies =
        Gen.Select(Gen.Int[200, 599], Gen.Int[0, 999], Gen.Int[0, 999], Gen.Bool, Gen.String[Gen.Char[' ', '~'], 0, 80],
            (code, subject, detail, withEnhanced, text) =>
                new SmtpReply(code, withEnhanced && code / 100 != 3 ? $"{code / 100}.{subject}.{detail}" : null, text.Trim()));

    [Fact]
    public void a_reply_written_on_one_line_parses_back_to_itself() =>
        // A text that itself begins with an enhanced code of the class is read as that code:
        // such a reply is not written without one.
        Replies.Where(r => r.Enhanced is not null || EnhancedStatus.Measure(r.Text) == 0)
            .Sample(reply => Assert.Equal(reply, SmtpReply.Parse(reply.ToString())));

    [Fact]
    public void a_reply_on_the_wire_has_one_line_per_text_line_each_with_the_code() =>
        Gen.Select(Replies, Gen.String[Gen.Char[' ', '~'], 0, 20].Array[0, 4]).Sample((reply, more) =>
        {
            var full = more.Aggregate(reply, (r, line) => r.WithLine(line));
            var lines = full.Write(enhanced: true).Split("\r\n")[..^1];
            Assert.Equal(more.Length + 1, lines.Length);
            Assert.All(lines[..^1], l => Assert.StartsWith($"{full.Code}-", l, StringComparison.Ordinal));
            Assert.StartsWith($"{full.Code} ", lines[^1], StringComparison.Ordinal);
        });
}
