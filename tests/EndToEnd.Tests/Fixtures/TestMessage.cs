namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>A message with the lines that trip naive relays: leading dots, trailing spaces, blank lines.</summary>
public sealed class TestMessage
{
    public TestMessage()
    {
        Subject = $"pipeline-e2e-{Guid.NewGuid():N}";
        Content = $"Subject: {Subject}\r\nFrom: <sender@origin.test>\r\nTo: <a@example.test>\r\n\r\n" +
                  "line one\r\n.leading dot\r\n..two dots\r\n.\r\n trailing space \r\n\r\n\r\nlast line\r\n";
    }

    public string Subject { get; }

    public string Content { get; }

    /// <summary>
    /// Asserts that a message smtp-sink dumped is this one, unchanged: everything from our first
    /// header on equals the content byte for byte. Tolerated: the trace headers above it (the
    /// pipeline's Received, smtp-sink's own), the sink's LF line ends, and the blank lines that
    /// swaks and smtp-sink add at the very end.
    /// </summary>
    public void AssertDelivered(string dumped, string messageId)
    {
        var start = dumped.IndexOf($"Subject: {Subject}\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"the sink's message is not ours:\n{dumped}");
        var trace = dumped[..start];
        Assert.Contains($"id {messageId}", trace, StringComparison.Ordinal);
        Assert.Equal(Content.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n'), dumped[start..].TrimEnd('\n'));
    }
}
