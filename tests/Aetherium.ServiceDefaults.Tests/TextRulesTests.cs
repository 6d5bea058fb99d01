using System.Text;
using System.Text.Json;
using Aetherium.Contracts.Text;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace Aetherium.ServiceDefaults.Tests;

/// <summary>The one text rule of the edge (issue 22), and the JSON reader that applies it to every string.</summary>
public sealed class TextRulesTests
{
    [Theory]
    [InlineData("plain")]
    [InlineData("")]
    [InlineData("tab\there, lines\r\nhere")]
    [InlineData("Zürich, 東京, emoji 🚀 and more 🚀")]
    [InlineData("\u00A0non-breaking space and \u00A9")]
    public void Ordinary_text_passes(string text) => Assert.Equal(TextFault.None, TextRules.Check(text));

    [Theory]
    [InlineData("boom\u0000")]
    [InlineData("x\u0000y")]
    [InlineData("\u0007bell")]
    [InlineData("escape \u001B[31m")]
    [InlineData("delete\u007F")]
    [InlineData("c1 \u0085 control")]
    public void Control_characters_are_refused(string text) => Assert.Equal(TextFault.ControlCharacter, TextRules.Check(text));

    [Fact]
    public void Lone_surrogates_are_refused()
    {
        // Not [InlineData]: attribute strings are stored as UTF-8, which cannot hold a lone surrogate.
        foreach (var text in new[] { "lone high \uD800", "\uDC00 lone low", "reversed \uDC00\uD800", "🚀 then lone \uD83D" })
            Assert.Equal(TextFault.InvalidUnicode, TextRules.Check(text));
    }

    [Fact]
    public void Length_is_limited_globally_and_per_field()
    {
        Assert.Equal(TextFault.None, TextRules.Check(new string('a', TextRules.MaxLength)));
        Assert.Equal(TextFault.TooLong, TextRules.Check(new string('a', TextRules.MaxLength + 1)));
        Assert.Equal(TextFault.TooLong, TextRules.Check("abcdef", 5));
    }

    [Fact]
    public void Utf8_must_be_well_formed()
    {
        Assert.True(TextRules.IsValidUtf8("Zürich 🚀"u8));
        Assert.False(TextRules.IsValidUtf8([0x61, 0xFF, 0x62]));
        Assert.False(TextRules.IsValidUtf8([0xED, 0xA0, 0x80])); // an encoded surrogate
    }

    [Fact]
    public void Clean_makes_machine_text_safe_and_short_without_splitting_a_pair()
    {
        Assert.Same("fine", TextRules.Clean("fine"));
        Assert.Equal("exit 1  stderr", TextRules.Clean("exit 1\u0000\u001Bstderr"));
        Assert.Equal("a\uFFFDb", TextRules.Clean("a" + '\uD800' + "b"));
        Assert.Equal("ab", TextRules.Clean("ab🚀", 3));
        Assert.Equal(TextFault.None, TextRules.Check(TextRules.Clean("x\u0000" + new string('y', 100), 10), 10));
    }

    [Theory]
    [InlineData("""{"spec":{"name":"a\u0000b"}}""", "spec.name", "control")]
    [InlineData("""{"spec":{"name":"a\ud800b"}}""", "spec.name", "Unicode")]
    [InlineData("""{"items":["ok","\u0001"]}""", "items[1]", "control")]
    [InlineData("""{"labels":{"k\u0000":"v"}}""", "labels", "control")]
    public void The_api_json_reader_refuses_bad_strings_naming_the_field(string json, string field, string says)
    {
        var ex = Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<Body>(json, Options()));
        Assert.Equal(field, JsonField.FromPath(ex.Path));
        Assert.Contains(says, JsonField.Problem(ex));
    }

    [Fact]
    public void Invalid_utf8_in_a_json_string_is_refused_naming_the_field()
    {
        var json = Encoding.UTF8.GetBytes("""{"spec":{"name":"aXb"}}""");
        json[Array.IndexOf(json, (byte)'X')] = 0xFF;
        var ex = Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<Body>(json, Options()));
        Assert.Equal("spec.name", JsonField.FromPath(ex.Path));
        Assert.IsType<InvalidTextException>(ex);
    }

    [Fact]
    public void Valid_strings_read_as_before() =>
        Assert.Equal("Zürich\tok", JsonSerializer.Deserialize<Body>("""{"spec":{"name":"Zürich\tok"}}""", Options())!.Spec!.Name);

    private static JsonSerializerOptions Options()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        ServiceDefaultsExtensions.ConfigureJson(options);
        return options;
    }

    private sealed record Spec(string? Name);

    private sealed record Body(Spec? Spec, List<string>? Items, Dictionary<string, string>? Labels);
}
