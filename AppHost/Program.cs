Console.WriteLine("Aetherium AppHost: not implemented yet");
return 0;
