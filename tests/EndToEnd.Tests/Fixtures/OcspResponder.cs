using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>
/// An OCSP responder for a <see cref="TestPki"/>: each request POSTed to it is answered by the
/// real <c>openssl ocsp</c> acting as the CA's responder over the PKI's index. The HTTP side is
/// a minimal HTTP/1.1 server on 127.0.0.1 (one request per connection), because
/// <c>openssl ocsp -port</c> binds every interface. It can be taken down and brought back, and can answer as if its clock were
/// shifted (with faketime), to make responses that expire soon.
/// </summary>
public sealed class OcspResponder : IDisposable
{
    private TcpListener? _listener;
    private TestPki? _pki;
    private int _requests;

    public OcspResponder() => Port = FreePort.Next();

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}/";

    /// <summary>How many requests it answered.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Its clock's shift, applied with faketime (e.g. <c>-50s</c>), or null for none.</summary>
    public string? ClockShift { get; set; }

    /// <summary>Minutes from thisUpdate to nextUpdate.</summary>
    public int ValidMinutes { get; set; } = 24 * 60;

    /// <summary>Starts answering for <paramref name="pki"/>.</summary>
    public void Start(TestPki pki)
    {
        _pki = pki;
        Resume();
    }

    /// <summary>Takes the responder down: connections are refused until <see cref="Resume"/>.</summary>
    public void Stop()
    {
        _listener?.Stop();
        _listener = null;
    }

    /// <summary>Brings it back on the same port.</summary>
    public void Resume()
    {
        var listener = new TcpListener(IPAddress.Loopback, Port);
        listener.Start();
        _listener = listener;
        _ = Task.Run(() => ServeAsync(listener));
    }

    private async Task ServeAsync(TcpListener listener)
    {
        while (true)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => AnswerAsync(client));
        }
    }

    // One request: headers, a body of Content-Length bytes; one answer, then close.
    private async Task AnswerAsync(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        var received = new MemoryStream();
        var buffer = new byte[8192];
        int headerEnd;
        while ((headerEnd = IndexOf(received, "\r\n\r\n"u8)) < 0)
        {
            var read = await stream.ReadAsync(buffer);
            if (read == 0)
                return;
            received.Write(buffer, 0, read);
        }

        var headers = Encoding.ASCII.GetString(received.GetBuffer(), 0, headerEnd);
        var length = headers.Split("\r\n").Select(h => h.Split(':', 2)).Where(h => h.Length == 2 && h[0].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            .Select(h => int.Parse(h[1].Trim(), System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();
        while (received.Length < headerEnd + 4 + length)
        {
            var read = await stream.ReadAsync(buffer);
            if (read == 0)
                return;
            received.Write(buffer, 0, read);
        }

        var request = received.ToArray()[(headerEnd + 4)..(headerEnd + 4 + length)];
        byte[] answer;
        string status;
        try
        {
            answer = await RespondAsync(request);
            status = "200 OK";
            Interlocked.Increment(ref _requests);
        }
        catch (InvalidOperationException)
        {
            (answer, status) = ([], "500 Internal Server Error");
        }

        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"HTTP/1.1 {status}\r\nContent-Type: application/ocsp-response\r\nContent-Length: {answer.Length}\r\nConnection: close\r\n\r\n"));
        await stream.WriteAsync(answer);
    }

    private static int IndexOf(MemoryStream stream, ReadOnlySpan<byte> value) =>
        stream.GetBuffer().AsSpan(0, (int)stream.Length).IndexOf(value);

    // openssl ocsp answers the DER request as the CA's responder.
    private async Task<byte[]> RespondAsync(byte[] request)
    {
        var name = Guid.NewGuid().ToString("N");
        var requestFile = _pki!.Path($"{name}.req");
        var responseFile = _pki.Path($"{name}.resp");
        await File.WriteAllBytesAsync(requestFile, request);
        string[] ocsp = ["openssl", "ocsp", "-index", "index.txt", "-rsigner", "ca.pem", "-rkey", "ca.key", "-CA", "ca.pem",
            "-reqin", requestFile, "-respout", responseFile, "-nmin", ValidMinutes.ToString(System.Globalization.CultureInfo.InvariantCulture)];
        var command = ClockShift is null ? ocsp : ["faketime", "-f", ClockShift, .. ocsp];
        var info = new ProcessStartInfo(command[0], command[1..]) { WorkingDirectory = _pki.Folder, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException(await error);
        return await File.ReadAllBytesAsync(responseFile);
    }

    public void Dispose() => Stop();
}
