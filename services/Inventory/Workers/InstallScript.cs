namespace Aetherium.Inventory.Workers;

/// <summary>
/// The bash script POST /workers/{id}/token hands out (seed 004's installScript, with the steps done):
/// it checks for root, curl, tar, dotnet and a running systemd, downloads the agent package from
/// inventory, unpacks it into /opt/aetherium-agent and runs the agent's own <c>install</c> command,
/// which writes and starts the systemd unit.
/// </summary>
public static class InstallScript
{
    public const string PackagePath = "/api/v1/agent/package";

    public static string Render(string controllerUrl, string token, Worker worker, DateTimeOffset generatedAt) => $$"""
        #!/usr/bin/env bash
        # Aetherium agent installation
        # Generated: {{generatedAt:yyyy-MM-ddTHH:mm:ssZ}}
        # Worker: {{OneLine(worker.Name)}}
        # Worker ID: {{worker.Id}}
        set -euo pipefail

        CONTROLLER={{Quote(controllerUrl.TrimEnd('/'))}}
        TOKEN={{Quote(token)}}
        INSTALL_DIR="${AETHERIUM_AGENT_DIR:-/opt/aetherium-agent}"

        fail() { echo "aetherium-agent install: $*" >&2; exit 1; }

        [ "$(id -u)" -eq 0 ] || fail "run this script as root (sudo bash $0)"
        command -v curl >/dev/null 2>&1 || fail "curl is required (apt-get install curl)"
        command -v tar >/dev/null 2>&1 || fail "tar is required (apt-get install tar)"
        command -v dotnet >/dev/null 2>&1 || fail "the .NET 10 runtime (dotnet) is required: https://learn.microsoft.com/dotnet/core/install/linux"
        command -v systemctl >/dev/null 2>&1 || fail "systemd is required (systemctl not found)"
        [ -d /run/systemd/system ] || fail "systemd is not running on this machine (no /run/systemd/system)"

        echo "Downloading the Aetherium agent from $CONTROLLER ..."
        tmp="$(mktemp -d)"
        trap 'rm -rf "$tmp"' EXIT
        # The token reaches curl on its standard input, not as an argument: arguments are visible to every
        # user of the machine in ps (on a reinstall, the VMs still running here too).
        curl -fsSL -H @- "$CONTROLLER{{PackagePath}}" -o "$tmp/agent.tar.gz" <<<"Authorization: Bearer $TOKEN" \
          || fail "could not download the agent package from $CONTROLLER{{PackagePath}}"
        mkdir -p "$tmp/agent"
        tar -xzf "$tmp/agent.tar.gz" -C "$tmp/agent" || fail "the agent package is not a valid tar.gz"
        [ -f "$tmp/agent/aetherium-agent.dll" ] || fail "the agent package has no aetherium-agent.dll"

        if systemctl is-active --quiet aetherium-agent 2>/dev/null; then systemctl stop aetherium-agent; fi
        rm -rf "$INSTALL_DIR"
        mkdir -p "$(dirname "$INSTALL_DIR")"
        mv "$tmp/agent" "$INSTALL_DIR"

        echo "Installing the aetherium-agent service ..."
        # The token goes by environment, not argument: arguments are visible to every user in ps.
        AETHERIUM_TOKEN="$TOKEN" dotnet "$INSTALL_DIR/aetherium-agent.dll" install --controller "$CONTROLLER" \
          || fail "the agent's install command failed"
        echo "Installation complete. Worker {{worker.Id}} will appear as active once its agent registers."

        """;

    /// <summary>Single-quoted for bash: nothing inside is expanded.</summary>
    private static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";

    private static string OneLine(string s) => new(s.Select(c => char.IsControl(c) ? ' ' : c).ToArray());
}
