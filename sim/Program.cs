using Msdn.Sim;

return SimCli.Create().Parse(args).Invoke();
