using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>
/// A collector for the test: takes OTLP/HTTP protobuf exports (<c>/v1/traces</c>, and
/// <c>/v1/metrics</c>, which it acknowledges and drops) and decodes the spans' service, trace
/// id, name and string attributes from the wire format (opentelemetry-proto's
/// trace/v1/trace.proto), with no protobuf library.
/// </summary>
public sealed class OtlpReceiver : IDisposable
{
    public sealed record Span(string Service, string TraceId, string Name, IReadOnlyDictionary<string, string> Attributes);

    private readonly HttpReceiver _http;
    private readonly ConcurrentQueue<Span> _spans = new();

    public OtlpReceiver()
    {
        Port = FreePort.Next();
        _http = new HttpReceiver(Port, HandleAsync);
    }

    public int Port { get; }

    public string Endpoint => $"http://127.0.0.1:{Port}";

    public IReadOnlyList<Span> Spans => _spans.ToList();

    private async Task HandleAsync(HttpListenerContext context)
    {
        using var body = new MemoryStream();
        await context.Request.InputStream.CopyToAsync(body);
        if (context.Request.Url?.AbsolutePath == "/v1/traces")
        {
            foreach (var span in DecodeTraces(body.ToArray()))
                _spans.Enqueue(span);
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/x-protobuf";
    }

    // ExportTraceServiceRequest: resource_spans = 1 { resource = 1 { attributes = 1 }, scope_spans = 2 { spans = 2 } }.
    private static IEnumerable<Span> DecodeTraces(byte[] request)
    {
        foreach (var resourceSpans in Fields(request).Where(f => f.Number == 1).Select(f => f.Bytes))
        {
            var service = "";
            foreach (var field in Fields(resourceSpans))
            {
                if (field.Number == 1)
                {
                    var resource = Fields(field.Bytes).Where(a => a.Number == 1).Select(a => KeyValue(a.Bytes));
                    service = resource.FirstOrDefault(a => a.Key == "service.name").Value ?? "";
                }
            }

            foreach (var scopeSpans in Fields(resourceSpans).Where(f => f.Number == 2).Select(f => f.Bytes))
            foreach (var span in Fields(scopeSpans).Where(f => f.Number == 2).Select(f => f.Bytes))
            {
                string traceId = "", name = "";
                var attributes = new Dictionary<string, string>();
                foreach (var field in Fields(span))
                {
                    switch (field.Number)
                    {
                        case 1:
                            traceId = Convert.ToHexStringLower(field.Bytes);
                            break;
                        case 5:
                            name = Encoding.UTF8.GetString(field.Bytes);
                            break;
                        case 9:
                            var (key, value) = KeyValue(field.Bytes);
                            if (value is not null)
                                attributes[key] = value;
                            break;
                    }
                }

                yield return new Span(service, traceId, name, attributes);
            }
        }
    }

    // KeyValue { key = 1; value = 2 (AnyValue { string_value = 1; bool_value = 2; int_value = 3 ... }) }: strings and integers.
    private static (string Key, string? Value) KeyValue(byte[] bytes)
    {
        string key = "";
        string? value = null;
        foreach (var field in Fields(bytes))
        {
            if (field.Number == 1)
                key = Encoding.UTF8.GetString(field.Bytes);
            else if (field.Number == 2)
            {
                foreach (var any in Fields(field.Bytes))
                {
                    if (any.Number == 1)
                        value = Encoding.UTF8.GetString(any.Bytes);
                    else if (any.Number == 3)
                        value = ((long)any.Varint).ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }

        return (key, value);
    }

    private readonly record struct Field(int Number, ulong Varint, byte[] Bytes);

    // The protobuf wire format: a varint key (field number << 3 | wire type), then a varint (0),
    // 8 bytes (1), a varint length and that many bytes (2), or 4 bytes (5).
    private static List<Field> Fields(byte[] bytes)
    {
        var fields = new List<Field>();
        var position = 0;
        while (position < bytes.Length)
        {
            var key = Varint(bytes, ref position);
            var number = (int)(key >> 3);
            switch (key & 7)
            {
                case 0:
                    fields.Add(new Field(number, Varint(bytes, ref position), []));
                    break;
                case 1:
                    position += 8;
                    break;
                case 2:
                    var length = (int)Varint(bytes, ref position);
                    fields.Add(new Field(number, 0, bytes[position..(position + length)]));
                    position += length;
                    break;
                case 5:
                    position += 4;
                    break;
                default:
                    throw new InvalidDataException($"wire type {key & 7} at {position}");
            }
        }

        return fields;
    }

    private static ulong Varint(byte[] bytes, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = bytes[position++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
                return value;
        }
    }

    public void Dispose() => _http.Dispose();
}
