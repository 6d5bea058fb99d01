return await Aetherium.Cli.CliApp.RunAsync(args, Aetherium.Cli.Terminal.FromConsole());
