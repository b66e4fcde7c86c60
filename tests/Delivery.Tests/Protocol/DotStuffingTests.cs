using System.Buffers;
using System.Text;
using Pipeline.Delivery.Protocol;

namespace Pipeline.Delivery.Tests.Protocol;

public class DotStuffingTests
{
    [Theory]
    [InlineData("a\r\nb\r\n", "a\r\nb\r\n.\r\n")]
    [InlineData(".a\r\n.\r\n", "..a\r\n..\r\n.\r\n")]
    [InlineData("x\r\n.y", "x\r\n..y\r\n.\r\n")]
    [InlineData("", ".\r\n")]
    [InlineData("mid.dot\r\n", "mid.dot\r\n.\r\n")]
    public void leading_dots_are_doubled_and_the_terminator_added(string content, string wire)
    {
        var output = new ArrayBufferWriter<byte>();
        DotStuffing.Encode(Encoding.ASCII.GetBytes(content), output);
        Assert.Equal(wire, Encoding.ASCII.GetString(output.WrittenSpan));
    }
}
