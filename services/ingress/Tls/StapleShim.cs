using Pipeline.Infrastructure.Tls;
using System.Net.Security;
using System.Reflection;

namespace Pipeline.Ingress.Tls;

/// <summary>
/// Puts an OCSP response into an <see cref="SslStreamCertificateContext"/>. .NET has no public
/// API for a server to staple a response it holds: on Linux the context keeps it in private
/// fields, which this class sets, and nothing else touches them. Checked on .NET 10.0.12; a
/// runtime that renames the fields makes <see cref="IsSupported"/> false and stapling stops,
/// with a warning at start-up, while TLS goes on working.
/// </summary>
internal static class StapleShim
{
    private const BindingFlags Private = BindingFlags.Instance | BindingFlags.NonPublic;
    private static readonly Type Context = typeof(SslStreamCertificateContext);
    private static readonly FieldInfo? Response = Context.GetField("_ocspResponse", Private);
    private static readonly FieldInfo? Expiration = Context.GetField("_ocspExpiration", Private);
    private static readonly FieldInfo? NextDownload = Context.GetField("_nextDownload", Private);
    private static readonly FieldInfo? Urls = Context.GetField("_ocspUrls", Private);
    private static readonly FieldInfo? Forbidden = Context.GetField("_staplingForbidden", Private);

    /// <summary>True when this runtime has the fields.</summary>
    public static bool IsSupported =>
        OperatingSystem.IsLinux() && Response is not null && Expiration is not null && NextDownload is not null
        && Urls?.FieldType == typeof(List<string>) && Forbidden is not null;

    /// <summary>
    /// Makes <paramref name="context"/> staple <paramref name="staple"/> until it expires, or
    /// offer stapling with nothing to staple yet when it is null; never fetch one itself. A
    /// certificate that staples must offer it from its first handshake on: the TLS library
    /// keeps what the first handshake set up for the certificate, status callback or none.
    /// </summary>
    public static void Apply(SslStreamCertificateContext context, OcspStaple? staple)
    {
        if (!IsSupported)
            return;
        Forbidden!.SetValue(context, false);
        Urls!.SetValue(context, new List<string>());   // non-null: stapling is offered
        Response!.SetValue(context, staple?.Der);
        Expiration!.SetValue(context, staple?.NextUpdate ?? DateTimeOffset.MaxValue);
        NextDownload!.SetValue(context, DateTimeOffset.MaxValue);   // no background fetch
    }
}
