# The thebacknd units, defined once as plain data (strings, lists, attribute sets, booleans; no
# nixpkgs), so that both the NixOS module (module.nix, which adds NixOS-only settings such as
# restartIfChanged) and the QEMU lab (which renders them into Debian .service files) run the
# same units: `nix-instantiate --eval --strict --json` renders them anywhere.
#
#   thebacknd-deadline.service    at boot, `thebacknd-agent deadline-timer schedule`: arms a
#                                 transient timer (thebacknd-expire-EPOCH.timer) for the VM's
#                                 deadline; when it fires, `deadline-timer expire` destroys the
#                                 VM, or arms the timer again for an extended deadline
#   thebacknd-agent.service       once the system is up, `thebacknd-agent boot`: fetch, verify and
#                                 switch to the requested toplevel (or run the program),
#                                 reporting each phase
#   thebacknd-spot-watch.service  on a spot instance, `thebacknd-agent watch-spot`: reports
#                                 `interrupted` when an interruption notice arrives
#
# agent: the agent's executable; environment: extra variables for all three (THEBACKND_IMDS_URL
# for a try-out outside EC2); bootArguments: `boot`'s options (--on-failure, --nix-option …), a
# list of strings, written into ExecStart with systemd's own quoting.
{
  agent,
  environment ? { },
  bootArguments ? [ ],
}:
let
  # One ExecStart argument, as nixpkgs' utils.escapeSystemdExecArg writes it: a JSON string,
  # with % and $ doubled so that systemd expands neither.
  execArgument =
    argument: builtins.replaceStrings [ "%" "$" ] [ "%%" "$$" ] (builtins.toJSON argument);
  command = arguments: builtins.concatStringsSep " " (map execArgument arguments);

  # What the three share. They start with the system once the network is up, and the switch the
  # agent makes (to any toplevel, with or without the module) never stops them:
  # X-StopOnRemoval = false: a new toplevel without a unit does not stop it (thebacknd-agent
  # would be stopped mid-switch); switch-to-configuration reads this key of the old unit.
  # RemainAfterExit keeps each "active" once its process is done, so a later switch that starts
  # multi-user.target again does not start it again: `boot` would undo a switch made by hand,
  # the spot watcher would report the same notice twice. Output: phases, Nix's progress and a
  # program's output on the serial console (EC2: "Get system log"), and in the journal.
  unit =
    {
      description,
      after ? [ ],
      extraEnvironment ? { },
      serviceConfig,
    }:
    {
      inherit description;
      wantedBy = [ "multi-user.target" ];
      wants = [ "network-online.target" ];
      after = [ "network-online.target" ] ++ after;
      environment = environment // extraEnvironment;
      unitConfig = {
        X-StopOnRemoval = false;
      };
      serviceConfig = {
        RemainAfterExit = true;
        StandardOutput = "journal+console";
        StandardError = "journal+console";
      } // serviceConfig;
    };
in
{
  thebacknd-deadline = unit {
    description = "thebacknd: schedule this VM's self-destruction at its deadline";
    serviceConfig = {
      Type = "oneshot";
      ExecStart = command [
        agent
        "deadline-timer"
        "schedule"
      ];
    };
  };

  thebacknd-agent = unit {
    description = "thebacknd: fetch and switch to this VM's toplevel, or run its program";
    # Ordered AFTER multi-user.target, not before it (the default for a unit a target wants).
    # switch-to-configuration starts the new system's units by (re)starting the targets that are
    # active. Were this unit ordered before multi-user.target, the target would still wait for
    # it while it switches, would not be active, and services new in the toplevel (nginx) would
    # never start. Being wanted by a target it is ordered after keeps this unit in the boot
    # transaction without the target waiting on it (systemd adds no implicit Before= when that
    # would make a loop); nixpkgs' own amazon-init.nix does the same.
    after = [
      "multi-user.target"
      "thebacknd-deadline.service"
    ];
    # Nix keeps its download cache under $HOME; systemd sets none for a root service.
    extraEnvironment = {
      HOME = "/root";
    };
    serviceConfig = {
      Type = "oneshot";
      ExecStart = command ([
        agent
        "boot"
      ] ++ bootArguments);
      # Fetching a large closure can take long; the deadline timer bounds the VM anyway.
      TimeoutStartSec = "infinity";
    };
  };

  thebacknd-spot-watch = unit {
    description = "thebacknd: report a spot interruption notice";
    serviceConfig = {
      # Polls every few seconds until a notice arrives or the deadline passes, then exits; on an
      # on-demand instance it exits at once.
      Type = "exec";
      ExecStart = command [
        agent
        "watch-spot"
      ];
    };
  };
}
