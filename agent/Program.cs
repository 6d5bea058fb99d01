Console.WriteLine("aetherium-agent: not implemented yet");
return 0;
