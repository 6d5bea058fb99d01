using System.Text.Json.Nodes;
using Aetherium.Cli.Http;

namespace Aetherium.Cli.Output;

public sealed record Column(string Header, Func<JsonNode, string> Value);

/// <summary>
/// Prints an answer: with --json the API's JSON exactly as it came; otherwise aligned columns (kubectl's
/// style: upper-case headers, two spaces between columns, no borders, so the text greps and cuts well).
/// </summary>
public sealed class Printer(TextWriter output, bool json)
{
    public bool Json => json;

    /// <summary>The answer as JSON when --json, else <paramref name="human"/>.</summary>
    public void Print(ApiResponse response, Action<TextWriter> human)
    {
        if (json) output.WriteLine(response.Body.Trim());
        else human(output);
    }

    public static void Table(TextWriter output, IReadOnlyList<JsonNode> rows, params Column[] columns)
    {
        var cells = rows.Select(r => columns.Select(c => Clean(c.Value(r))).ToArray()).ToList();
        var widths = columns.Select((c, i) => Math.Max(c.Header.Length, cells.Count == 0 ? 0 : cells.Max(r => r[i].Length))).ToArray();
        output.WriteLine(Line(columns.Select(c => c.Header).ToArray(), widths));
        foreach (var row in cells) output.WriteLine(Line(row, widths));
    }

    /// <summary>One object as "label: value" lines, labels aligned.</summary>
    public static void Record(TextWriter output, JsonNode node, params (string Label, Func<JsonNode, string> Value)[] fields)
    {
        var width = fields.Max(f => f.Label.Length) + 1;
        foreach (var (label, value) in fields)
            output.WriteLine($"{(label + ":").PadRight(width)} {Clean(value(node))}");
    }

    private static string Line(string[] cells, int[] widths) =>
        string.Join("  ", cells.Select((c, i) => i == cells.Length - 1 ? c : c.PadRight(widths[i]))).TrimEnd();

    /// <summary>A cell stays on its line: a name with a newline or tab must not break the table.</summary>
    private static string Clean(string s) => s.Length == 0 ? Fields.Missing : new(s.Select(c => char.IsControl(c) ? ' ' : c).ToArray());
}
