namespace Pipeline.Delivery.Tls;

/// <summary>An outbound TLS negotiation failed: the handshake, or a check of the server's certificate the policy requires.</summary>
/// <param name="message">Why, as the log and <c>msg:host:defer</c> show it.</param>
/// <param name="inner">The TLS library's error.</param>
public sealed class TlsNegotiationException(string message, Exception inner) : Exception(message, inner);
