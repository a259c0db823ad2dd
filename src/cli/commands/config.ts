import { Command } from "commander";
import { redactConfig } from "../../config/config.ts";
import { configFor } from "../context.ts";

export function configCommand(): Command {
  return new Command("config")
    .description(
      "print the effective configuration (env, config file and flags merged; secrets masked)",
    )
    .action((_opts: unknown, command: Command) => {
      console.log(JSON.stringify(redactConfig(configFor(command)), null, 2));
    });
}
