return await Aetherium.Agent.Cli.AgentCommandLine.InvokeAsync(args);
