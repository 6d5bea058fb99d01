using System.Net.Http.Headers;
using System.Text;

namespace Aetherium.Testing;

/// <summary>
/// Bodies a route taking <c>{"expires_in"?: seconds}</c> (a worker token, an invite) must refuse with a 400
/// rather than read as "no body" and mint with its defaults: not an object, not UTF-8, unknown fields,
/// values out of range or of the wrong type.
/// </summary>
public static class BadBodies
{
    public static IEnumerable<(string Name, byte[] Body)> ForExpiresIn() =>
    [
        ("null", Utf8("null")),
        ("an array", Utf8("[]")),
        ("a string", Utf8("\"3600\"")),
        ("a number", Utf8("3600")),
        ("malformed", Utf8("{\"expires_in\":")),
        ("bad UTF-8 in a field name", [.. Utf8("{\"expires_in\":3600,\""), 0xFF, 0xFE, .. Utf8("\":1}")]),
        ("bad UTF-8 in a value", [.. Utf8("{\"expires_in\":3600,\"note\":\""), 0xC3, 0x28, .. Utf8("\"}")]),
        ("bad UTF-8 alone", [0xFF, 0xFE, 0xFD]),
        ("an unknown field", Utf8("{\"expires_in\":3600,\"role\":\"admin\"}")),
        ("a misspelt field", Utf8("{\"expire_in\":3600}")),
        ("a number as text", Utf8("{\"expires_in\":\"3600\"}")),
        ("a fraction", Utf8("{\"expires_in\":3600.5}")),
        ("1e308", Utf8("{\"expires_in\":1e308}")),
        ("negative", Utf8("{\"expires_in\":-1}")),
        ("too short", Utf8("{\"expires_in\":5}")),
        ("too long", Utf8("{\"expires_in\":1000000000000}")),
    ];

    public static HttpContent Json(byte[] body) => new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
