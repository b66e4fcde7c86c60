using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Pipeline.Infrastructure.Telemetry;

namespace Pipeline.Events.Http;

/// <summary>
/// Bearer tokens for the HTTP API (<c>Events:ApiTokens</c>): every endpoint but
/// <c>/health</c>, <c>/health/live</c> and <c>/health/ready</c> wants one; a <c>read</c> token may only read (GET), an <c>admin</c> token may
/// also change things. Without tokens the API is open, and then it may only listen on loopback.
/// </summary>
public static class ApiAuthentication
{
    /// <summary>Checks the configuration: valid tokens, or none and a loopback address.</summary>
    /// <exception cref="InvalidOperationException">A token is empty or has an unknown role, or the open API listens beyond loopback.</exception>
    public static void Validate(EventsOptions options, IPEndPoint listen)
    {
        foreach (var token in options.ApiTokens)
        {
            if (string.IsNullOrWhiteSpace(token.Token) || token.Token.Length < 16)
                throw new InvalidOperationException("Events:ApiTokens: every token needs at least 16 characters");
            if (token.Role is not ("read" or "admin"))
                throw new InvalidOperationException($"Events:ApiTokens: role '{token.Role}' is neither read nor admin");
        }

        if (options.ApiTokens.Count == 0 && !IPAddress.IsLoopback(listen.Address))
            throw new InvalidOperationException(
                $"Events:Listen is {listen}, beyond loopback, and Events:ApiTokens is empty: set tokens, or listen on 127.0.0.1");
    }

    private const string CallerKey = "pipeline.caller";

    /// <summary>Who made the request, for the record: the role of the token, or <c>loopback</c> on an open API.</summary>
    public static string Caller(HttpContext context) =>
        context.Items.TryGetValue(CallerKey, out var caller) && caller is string role ? $"{role} token" : "loopback";

    /// <summary>Adds the check in front of every endpoint.</summary>
    public static void Use(WebApplication app, EventsOptions options)
    {
        if (options.ApiTokens.Count == 0)
            return;
        var tokens = options.ApiTokens.Select(t => (Bytes: Encoding.UTF8.GetBytes(t.Token), t.Role)).ToList();
        app.Use(async (context, next) =>
        {
            if (ManagementEndpoints.IsHealth(context.Request.Path))
            {
                await next(context);
                return;
            }

            var header = context.Request.Headers.Authorization.ToString();
            var presented = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? Encoding.UTF8.GetBytes(header[7..].Trim()) : null;
            var role = presented is null ? null : tokens.FirstOrDefault(t => CryptographicOperations.FixedTimeEquals(t.Bytes, presented)).Role;
            if (role is null)
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await context.Response.WriteAsJsonAsync(new { error = "a valid bearer token from Events:ApiTokens is required" });
                return;
            }

            if (role != "admin" && !HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                await context.Response.WriteAsJsonAsync(new { error = "this token may only read" });
                return;
            }

            context.Items[CallerKey] = role;
            await next(context);
        });
    }
}
