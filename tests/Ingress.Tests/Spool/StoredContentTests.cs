using System.Text;
using Pipeline.Ingress.Spool;

namespace Pipeline.Ingress.Tests.Spool;

public class StoredContentTests
{
    private const string Trace = "Received: from client\r\n";

    private static string Build(string content, string[] added, string[] removed)
    {
        var bytes = Encoding.UTF8.GetBytes(Trace + content);
        return Encoding.UTF8.GetString(StoredContent.Build(bytes, Trace.Length, added, removed).Span);
    }

    [Fact]
    public void added_headers_follow_the_trace_header()
    {
        Assert.Equal(Trace + "X-A: 1\r\nSubject: s\r\n\r\nbody\r\n", Build("Subject: s\r\n\r\nbody\r\n", ["X-A: 1"], []));
    }

    [Fact]
    public void a_forged_field_is_removed_with_its_folded_lines_and_only_in_the_header()
    {
        var content = "Authentication-Results:  mx.example.test; dkim=pass\r\n\theader.d=forged.example\r\n" +
                      "Authentication-Results: mx.example.test.evil; spf=pass\r\n" +
                      "Subject: s\r\n\r\nAuthentication-Results: mx.example.test; in the body\r\n";
        Assert.Equal(Trace + "Authentication-Results: mx.example.test.evil; spf=pass\r\nSubject: s\r\n\r\nAuthentication-Results: mx.example.test; in the body\r\n",
            Build(content, [], ["Authentication-Results: mx.example.test"]));
    }

    [Fact]
    public void without_changes_the_bytes_are_not_copied()
    {
        ReadOnlyMemory<byte> bytes = Encoding.UTF8.GetBytes(Trace + "Subject: s\r\n\r\n");
        Assert.True(StoredContent.Build(bytes, Trace.Length, [], []).Equals(bytes));
    }
}
