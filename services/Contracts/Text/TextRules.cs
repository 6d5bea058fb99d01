using System.Buffers;

namespace Aetherium.Contracts.Text;

/// <summary>What is wrong with a piece of text, if anything.</summary>
public enum TextFault { None, TooLong, ControlCharacter, InvalidUnicode }

/// <summary>
/// The one rule for text that comes in from outside (REST bodies, query strings, route values, agent
/// frames): no NUL or other control character but tab, line feed and carriage return; no lone
/// surrogate (PostgreSQL refuses both: 22021 on text, 22P05 on jsonb); at most <see cref="MaxLength"/>
/// characters. Fields keep their own, smaller limits on top. Checking scans the span and allocates nothing.
/// </summary>
public static class TextRules
{
    /// <summary>The longest string accepted anywhere, in UTF-16 characters.</summary>
    public const int MaxLength = 64 * 1024;

    // C0 controls but \t \n \r, DEL and C1 controls, and every surrogate: the first hit is looked at closely.
    private static readonly SearchValues<char> Suspicious = SearchValues.Create(
        "\0\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u000B\u000C\u000E\u000F" +
        "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F" +
        string.Concat(Enumerable.Range(0x7F, 0x9F - 0x7F + 1).Select(c => (char)c)) +
        string.Concat(Enumerable.Range(0xD800, 0xDFFF - 0xD800 + 1).Select(c => (char)c)));

    public static TextFault Check(ReadOnlySpan<char> text, int maxLength = MaxLength)
    {
        if (text.Length > maxLength) return TextFault.TooLong;
        var i = text.IndexOfAny(Suspicious);
        while (i >= 0)
        {
            var c = text[i];
            if (!char.IsHighSurrogate(c)) return char.IsSurrogate(c) ? TextFault.InvalidUnicode : TextFault.ControlCharacter;
            if (i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1])) return TextFault.InvalidUnicode;
            // A valid pair (an emoji): go on after it.
            var next = text[(i + 2)..].IndexOfAny(Suspicious);
            i = next < 0 ? -1 : i + 2 + next;
        }
        return TextFault.None;
    }

    /// <summary>True when the bytes are well-formed UTF-8 (what PostgreSQL's UTF8 encoding accepts, NUL aside).</summary>
    public static bool IsValidUtf8(ReadOnlySpan<byte> utf8) => System.Text.Unicode.Utf8.IsValid(utf8);

    /// <summary>What to tell the sender, never quoting the value (it may be a secret).</summary>
    public static string Describe(TextFault fault, int maxLength = MaxLength) => fault switch
    {
        TextFault.TooLong => $"must be at most {maxLength} characters",
        TextFault.ControlCharacter => "must not contain NUL or other control characters (tab, line feed and carriage return are allowed)",
        TextFault.InvalidUnicode => "must be valid Unicode text (UTF-8, no lone surrogates)",
        _ => "is valid",
    };

    /// <summary>
    /// Text made safe to send: control characters become spaces, lone surrogates U+FFFD, and it is cut at
    /// <paramref name="maxLength"/> without splitting a pair. For what an agent reports from the machine
    /// (a process's last words, a GPU's name); returns the same instance when nothing needed changing.
    /// </summary>
    public static string Clean(string text, int maxLength = MaxLength)
    {
        if (Check(text, maxLength) == TextFault.None) return text;
        var chars = new List<char>(Math.Min(text.Length, maxLength));
        for (var i = 0; i < text.Length && chars.Count < maxLength; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                if (chars.Count + 2 > maxLength) break;
                chars.Add(c);
                chars.Add(text[++i]);
            }
            else if (char.IsSurrogate(c)) chars.Add('\uFFFD');
            else if (Suspicious.Contains(c)) chars.Add(' ');
            else chars.Add(c);
        }
        return new string(chars.ToArray());
    }
}
