using System.Net;

namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>An HTTP endpoint on 127.0.0.1 that hands every request to a test's handler, one at a time.</summary>
public sealed class HttpReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<HttpListenerContext, Task> _handle;

    public HttpReceiver(int port, Func<HttpListenerContext, Task> handle)
    {
        _handle = handle;
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _ = ServeAsync();
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (!_listener.IsListening)
            {
                return;
            }

            await _handle(context);
            context.Response.Close();
        }
    }

    public void Dispose() => _listener.Close();
}
