using System.Text;
using Pipeline.Delivery.Protocol;

namespace Pipeline.Delivery.Tests.Protocol;

/// <summary>The <c>TLS-Required</c> header field (RFC 8689 §3) as <see cref="TlsRequiredHeader"/> reads it.</summary>
public class TlsRequiredHeaderTests
{
    private static bool SaysNo(string message) => TlsRequiredHeader.SaysNo(Encoding.ASCII.GetBytes(message));

    [Theory]
    [InlineData("TLS-Required: No\r\nSubject: x\r\n\r\nbody\r\n")]
    [InlineData("Subject: x\r\ntls-required:no\r\n\r\nbody\r\n")]
    [InlineData("Subject: x\r\nTLS-REQUIRED:  NO \t\r\n\r\n")]
    [InlineData("Subject: x\r\nTLS-Required:\r\n No\r\n\r\nbody\r\n")]
    [InlineData("TLS-Required: No\r\nTLS-Required: no\r\n\r\n")]
    [InlineData("Subject: only headers\r\nTLS-Required: No")]
    public void the_header_saying_no_is_found(string message) => Assert.True(SaysNo(message));

    [Theory]
    [InlineData("Subject: x\r\n\r\nbody\r\n")]
    [InlineData("Subject: x\r\n\r\nTLS-Required: No\r\n")]
    [InlineData("TLS-Required: Yes\r\n\r\n")]
    [InlineData("TLS-Required: No thanks\r\n\r\n")]
    [InlineData("TLS-Required: No\r\nTLS-Required: Yes\r\n\r\n")]
    [InlineData("X-TLS-Required: No\r\n\r\n")]
    [InlineData("TLS-Required-Not: No\r\n\r\n")]
    [InlineData("Subject: a folded\r\n TLS-Required: No\r\n\r\n")]
    [InlineData("")]
    public void anything_else_keeps_tls_as_it_is(string message) => Assert.False(SaysNo(message));
}
