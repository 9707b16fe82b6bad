# services.thebacknd-agent: runs the thebacknd VM agent (agent/thebacknd-agent, DESIGN §5, §9)
# on an EC2 instance launched by thebacknd's `create`:
#
#   thebacknd-deadline.service    at boot, arms a transient timer (thebacknd-expire-EPOCH.timer)
#                                 for the VM's deadline (`thebacknd-agent deadline`: its
#                                 thebacknd:expires-at tag, else the user-data's expires_at);
#                                 when it fires, `thebacknd-agent destroy-self` destroys the VM,
#                                 or, when the deadline was extended, prints the new one and the
#                                 timer is armed again for it
#   thebacknd-agent.service       once the system is up, `thebacknd-agent boot`: fetch, verify and
#                                 switch to the requested toplevel (or run the program), reporting
#                                 each phase
#   thebacknd-spot-watch.service  on a spot instance, `thebacknd-agent watch-spot`: reports
#                                 `interrupted` when an interruption notice arrives
#
# All must survive the switch the agent causes, including one to a toplevel that does not
# contain this module at all; the comments below say how.
{
  config,
  lib,
  pkgs,
  utils,
  ...
}:
let
  cfg = config.services.thebacknd-agent;
  agent = lib.getExe cfg.package;

  # The agent passes the user-data's cache and key itself; these must not be overridable.
  reservedSettings = [
    "substituters"
    "extra-substituters"
    "trusted-substituters"
    "trusted-public-keys"
    "extra-trusted-public-keys"
    "require-sigs"
  ];

  settingValue =
    value:
    if lib.isBool value then
      lib.boolToString value
    else if lib.isList value then
      lib.concatMapStringsSep " " toString value
    else
      toString value;

  # ExecStart's own quoting (utils.escapeSystemdExecArgs, nixos/lib/utils.nix): systemd
  # would expand % and $ in a plain shell-quoted string.
  bootCommand = utils.escapeSystemdExecArgs (
    [
      agent
      "boot"
      "--on-failure"
      cfg.onFailure
    ]
    ++ lib.concatLists (
      lib.mapAttrsToList (name: value: [
        "--nix-option"
        name
        (settingValue value)
      ]) cfg.nixSettings
    )
  );

  # Only set for local try-outs (qemu.nix); on EC2 the agent's default is the real IMDS.
  imdsEnvironment = lib.optionalAttrs (cfg.imdsUrl != null) { THEBACKND_IMDS_URL = cfg.imdsUrl; };

  # What the three units share. They start with the system once the network is up, and the
  # switch the agent makes (to any toplevel, with or without this module) never restarts or
  # stops them:
  # - restartIfChanged = false: a new toplevel that also has the unit, changed, leaves it be;
  # - X-StopOnRemoval = false: a new toplevel without it does not stop it (thebacknd-agent would
  #   be stopped mid-switch); switch-to-configuration reads this key of the old unit.
  # RemainAfterExit keeps each "active" once its process is done, so a later switch that starts
  # multi-user.target again does not start it again: `boot` would undo a switch made by hand,
  # the spot watcher would report the same notice twice.
  unitSurvivingSwitches = {
    wantedBy = [ "multi-user.target" ];
    wants = [ "network-online.target" ];
    after = [ "network-online.target" ];
    environment = imdsEnvironment;
    restartIfChanged = false;
    unitConfig.X-StopOnRemoval = false;
    serviceConfig = {
      RemainAfterExit = true;
      # Phases, Nix's progress and a program's output on the serial console (EC2: "Get system
      # log"), as well as in the journal.
      StandardOutput = "journal+console";
      StandardError = "journal+console";
    };
  };

  # The decision (which deadline, whether it has passed) is the agent's, where the tests run it;
  # this script only turns it into a timer. Two modes:
  #   schedule  at boot: arm the timer for `thebacknd-agent deadline`
  #   expire    the timer's own service: `thebacknd-agent destroy-self`; when that prints a
  #             deadline instead of destroying the VM (it was extended), arm the timer again
  deadlineScript = pkgs.writeShellApplication {
    name = "thebacknd-deadline";
    runtimeInputs = [
      cfg.package
      pkgs.coreutils
      config.systemd.package
    ];
    text = ''
      # This script's own store path: the timer runs it again, after any switch.
      self=$(readlink -f "$0")

      # arm DEADLINE: one transient timer, thebacknd-expire-EPOCH, running "$self expire" then.
      arm() {
        local deadline=$1 epoch now unit
        epoch=$(date -u -d "$deadline" +%s)
        now=$(date -u +%s)
        unit=thebacknd-expire-$epoch
        # Armed and waiting already (the script ran twice): leave it. A different deadline
        # replaces the old timer. The name changes with the deadline, so arming from inside the
        # service of the timer that just fired never collides with that still-running service.
        if [[ $(systemctl show --property SubState --value "$unit.timer" 2>/dev/null) == waiting ]]; then
          echo "thebacknd: this VM's deadline is $deadline; its timer is already set"
          return
        fi
        systemctl stop 'thebacknd-expire-*.timer' 2>/dev/null || true
        if (( epoch > now + 2 )); then
          when=(--on-calendar "$(date -u -d "@$epoch" '+%Y-%m-%d %H:%M:%S UTC')")
        else
          # Passed already (a late boot), or too close to give as a calendar time, which systemd
          # never fires once it lies in the past: just after it, counted from now. Never before
          # it, or destroy-self would find it still ahead and this timer's name taken.
          when=(--on-active "$(( (epoch > now ? epoch - now : 0) + 1 ))s")
        fi
        # A transient unit (/run/systemd/transient), not one in /etc/systemd/system:
        # switch-to-configuration only stops units whose file is in the old /etc/systemd/system
        # and missing from the new one, so this timer outlives a switch to any toplevel.
        # --collect: unloaded once done, even after a failure, so no stale unit keeps a name.
        systemd-run --unit "$unit" --collect --description "thebacknd: destroy this VM at its deadline" \
          --timer-property AccuracySec=1s "''${when[@]}" \
          --property StandardOutput=journal+console --property StandardError=journal+console \
          ${lib.concatMapStringsSep " " (n: "--setenv ${n}=${lib.escapeShellArg imdsEnvironment.${n}}") (lib.attrNames imdsEnvironment)} \
          "$self" expire
        echo "thebacknd: this VM destroys itself at $deadline"
      }

      case ''${1:-} in
        schedule)
          # The timer runs this script (and through it the agent) from the base image's store
          # path; keep that alive even after a switch to a toplevel that does not refer to it.
          ln -sfn "$self" /nix/var/nix/gcroots/thebacknd-deadline
          arm "$(thebacknd-agent deadline)"
          ;;
        expire)
          # destroy-self prints a deadline only when it destroyed nothing because that deadline
          # is still ahead; after destroying (or powering off) it prints nothing.
          next=$(thebacknd-agent destroy-self)
          if [[ -n $next ]]; then
            arm "$next"
          fi
          ;;
        *)
          echo "usage: thebacknd-deadline schedule|expire" >&2
          exit 2
          ;;
      esac
    '';
  };
in
{
  options.services.thebacknd-agent = {
    enable = lib.mkEnableOption "the thebacknd VM agent, which switches this VM to the toplevel (or runs the program) named in its EC2 user-data and destroys it at its deadline";

    package = lib.mkOption {
      type = lib.types.package;
      default = pkgs.callPackage ./agent/package.nix { nix = config.nix.package; };
      defaultText = lib.literalExpression "pkgs.callPackage ./agent/package.nix { nix = config.nix.package; }";
      description = "The thebacknd-agent package to run.";
    };

    nixSettings = lib.mkOption {
      type =
        with lib.types;
        attrsOf (oneOf [
          bool
          int
          str
          (listOf str)
        ]);
      default = { };
      example = {
        connect-timeout = 5;
        http-connections = 50;
      };
      description = ''
        Extra Nix settings for fetching the closure, passed as `--option NAME VALUE`.
        The substituter, the trusted public keys and `require-sigs` always come from the
        VM's user-data and cannot be set here.
      '';
    };

    onFailure = lib.mkOption {
      type = lib.types.enum [
        "stay"
        "destroy"
      ];
      default = "stay";
      description = ''
        What the VM does when `boot` fails (it always reports phase `failed` with a one-line
        detail first): `stay` keeps it up until its deadline for debugging (SSH in, read
        `journalctl -u thebacknd-agent`); `destroy` destroys it at once.
      '';
    };

    imdsUrl = lib.mkOption {
      type = lib.types.nullOr lib.types.str;
      default = null;
      example = "http://10.0.2.2:8169";
      description = ''
        Instance metadata service to read the user-data from, for local try-outs outside EC2
        (see qemu.nix). `null` uses the agent's default, EC2's own.
      '';
    };
  };

  config = lib.mkIf cfg.enable {
    assertions = [
      {
        assertion = lib.all (name: !(cfg.nixSettings ? ${name})) reservedSettings;
        message = "services.thebacknd-agent.nixSettings may not set ${lib.concatStringsSep ", " reservedSettings}: they come from the VM's user-data.";
      }
    ];

    environment.systemPackages = [ cfg.package ];

    systemd.services.thebacknd-deadline = lib.mkMerge [
      unitSurvivingSwitches
      {
        description = "thebacknd: schedule this VM's self-destruction at its deadline";
        serviceConfig = {
          Type = "oneshot";
          ExecStart = "${lib.getExe deadlineScript} schedule";
        };
      }
    ];

    systemd.services.thebacknd-agent = lib.mkMerge [
      unitSurvivingSwitches
      {
        description = "thebacknd: fetch and switch to this VM's toplevel, or run its program";
        # Ordered AFTER multi-user.target, not before it (the default for a unit a target wants).
        # switch-to-configuration starts the new system's units by (re)starting the targets that
        # are active (nixos/doc/manual/development/unit-handling.section.md). In the proof of
        # concept the switching unit ran before multi-user.target was reached, so the target was
        # still waiting for it, was not active, and services new in the toplevel (nginx) never
        # started. Here multi-user.target is active when the switch runs, so they do. Being wanted
        # by a target it is ordered after keeps this unit in the boot transaction without the
        # target waiting on it (systemd adds no implicit Before= when that would make a loop).
        # nixpkgs' own amazon-init.nix does the same for `nixos-rebuild switch` at boot.
        after = [
          "multi-user.target"
          "thebacknd-deadline.service"
        ];
        # Nix keeps its download cache under $HOME; systemd sets none for a root service.
        environment.HOME = "/root";
        serviceConfig = {
          Type = "oneshot";
          ExecStart = bootCommand;
          # Fetching a large closure can take long; the deadline timer bounds the VM anyway.
          TimeoutStartSec = "infinity";
        };
      }
    ];

    systemd.services.thebacknd-spot-watch = lib.mkMerge [
      unitSurvivingSwitches
      {
        description = "thebacknd: report a spot interruption notice";
        serviceConfig = {
          # Polls every few seconds until a notice arrives or the deadline passes, then exits;
          # on an on-demand instance it exits at once.
          Type = "exec";
          ExecStart = "${agent} watch-spot";
        };
      }
    ];
  };
}
