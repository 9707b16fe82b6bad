package thebacknd.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;
import thebacknd.Json;
import thebacknd.edge.ApiRequest;
import thebacknd.edge.ApiResponse;
import thebacknd.edge.Route;
import thebacknd.testing.Ec2Fixture;
import thebacknd.testing.LeasesTable;
import thebacknd.testing.Moto;
import thebacknd.testing.MotoTest;
import thebacknd.testing.TestEnv;
import thebacknd.vm.KillCodes;
import thebacknd.vm.ProgramArgs;

/**
 * POST /output, GET /logs, report's exit_code and create's args (DESIGN §9) through the Api the
 * handlers use, against moto's EC2 and S3; every effect is read back from the emulator.
 */
class OutputRoutesTest extends MotoTest {

  static final String BUCKET = "thebacknd-output";
  private static final String PROGRAM = "/nix/store/3r733qcrl5pn9a5l07cn9awh676aiics-hello-2.12/bin/hello";
  private static final String TOPLEVEL = "/nix/store/lk6igl2f0i137q36wscfrc6n9r0jn52l-nixos-system-unnamed-23.05";

  private final S3Client s3 = Moto.clients().s3();

  @BeforeEach
  void outputBucket() {
    s3.createBucket(r -> r.bucket(BUCKET));
    env.put("THEBACKND_OUTPUT_BUCKET", BUCKET);
  }

  // ------------------------------------------------------------------ the round trip

  @Test
  void chunksComeBackInOrderWithTheExitCodeByNameAndAfterTheVmIsGoneByVmId() {
    JsonNode vm = createdVm(json(Map.of("nix_binary", PROGRAM, "args", List.of("Ada", "3"))));
    String vmId = vm.path("vm_id").asText();
    assertEquals(200, output(vmId, 0, "hello, Ada\n", false).status());
    assertEquals(200, output(vmId, 1, "to stderr\n", false).status());

    JsonNode first = logs(Map.of("name", "thebacknd-1")).body();
    assertEquals("thebacknd-1", first.path("name").asText());
    assertEquals(vmId, first.path("vm_id").asText());
    assertEquals(List.of("hello, Ada\n", "to stderr\n"), texts(first));
    assertEquals(List.of(0L, 1L), seqs(first));
    assertEquals(1, first.path("next").asLong());
    assertFalse(first.path("done").asBoolean());
    assertTrue(first.path("exit_code").isNull());

    ApiResponse last = output(vmId, 2, "", true);
    assertEquals(200, last.status(), last.bodyText());
    assertEquals(vmId, last.body().path("vm_id").asText());
    assertEquals(2, last.body().path("seq").asInt());
    ApiResponse reported = report(vmId, "finished", 3);
    assertEquals(200, reported.status(), reported.bodyText());

    JsonNode rest = logs(Map.of("name", "thebacknd-1", "after", "1")).body();
    assertEquals(List.of(""), texts(rest));
    assertEquals(2, rest.path("next").asLong());
    assertTrue(rest.path("done").asBoolean());
    assertEquals(3, rest.path("exit_code").asInt());
    JsonNode listed = listed().get(0);
    assertEquals(3, listed.path("exit_code").asInt(), "the VM shows its program's exit code");
    assertEquals("3", Ec2Fixture.tags(ec2.all().get(vm.path("instance_id").asText())).get("thebacknd:exit-code"));

    assertEquals(200, call(Route.DESTROY_SELF, json(Map.of("vm_id", vmId, "vm_killcode", code(vmId)))).status());
    JsonNode byName = logs(Map.of("name", "thebacknd-1")).body();
    assertEquals(vmId, byName.path("vm_id").asText(), "the name index knows the VM that is gone: " + byName);
    assertEquals("thebacknd-1", byName.path("name").asText());
    assertEquals(List.of("hello, Ada\n", "to stderr\n", ""), texts(byName));
    assertEquals(3, byName.path("exit_code").asInt());
    JsonNode byVmId = logs(Map.of("vm_id", vmId)).body();
    assertEquals(List.of("hello, Ada\n", "to stderr\n", ""), texts(byVmId));
    assertTrue(byVmId.path("done").asBoolean());
    assertEquals(3, byVmId.path("exit_code").asInt());
    assertTrue(byVmId.path("name").isNull(), "the name belongs to live VMs (and is reused)");
  }

  @Test
  void afterTheFinalChunkASeqIs409OutputClosedAndNothingIsStored() {
    String vmId = programVm();
    assertEquals(200, output(vmId, 0, "zero\n", false).status());
    assertEquals(200, output(vmId, 1, "one\n", true).status());
    assertError(output(vmId, 2, "after the end\n", false), 409, "output_closed");
    assertError(output(vmId, 7, "far after the end\n", false), 409, "output_closed");
    assertEquals(200, output(vmId, 1, "one\n", true).status(), "the final chunk itself, retried, is acknowledged");
    assertEquals(List.of(vmId + "/chunk/000000000", vmId + "/chunk/000000001"), keys(vmId));
    JsonNode logs = logs(Map.of("vm_id", vmId)).body();
    assertEquals(List.of("zero\n", "one\n"), texts(logs));
    assertTrue(logs.path("done").asBoolean());
  }

  @Test
  void aVmWhoseLeaseWasReleasedIs410VmGoneAndNothingIsStored() {
    String vmId = programVm();
    assertEquals(200, output(vmId, 0, "while alive\n", false).status());
    assertEquals(200, call(Route.DESTROY_SELF, json(Map.of("vm_id", vmId, "vm_killcode", code(vmId)))).status());
    assertError(output(vmId, 1, "from beyond\n", false), 410, "vm_gone");
    assertError(output(vmId, 1, "", true), 410, "vm_gone");
    assertEquals(List.of(vmId + "/chunk/000000000"), keys(vmId));
    assertFalse(logs(Map.of("vm_id", vmId)).body().path("done").asBoolean(), "no final chunk was kept");
    assertError(output(anyUnleasedVmId(), 0, "never created\n", false), 410, "vm_gone");
  }

  @Test
  void logsByNameOfAGoneVmFindItsMostRecentVmIdThroughTheNameIndex() {
    String first = programVm();
    assertEquals(200, output(first, 0, "first\n", true).status());
    assertEquals(200, call(Route.DESTROY, json(Map.of("name", "thebacknd-1"))).status());
    JsonNode gone = logs(Map.of("name", "thebacknd-1")).body();
    assertEquals(first, gone.path("vm_id").asText(), gone.toString());
    assertEquals(List.of("first\n"), texts(gone));

    // The name is given again: it now stands for the new VM, live, and then once it is gone too.
    String second = programVm();
    assertError(output(first, 1, "from beyond\n", false), 410, "vm_gone"); // its name was remembered, and is another VM's now
    assertEquals(second, logs(Map.of("name", "thebacknd-1")).body().path("vm_id").asText(), "the lease first");
    assertEquals(200, report(second, "failed", 1).status(), "a VM that sent no output is indexed by its report");
    assertEquals(200, call(Route.DESTROY_SELF, json(Map.of("vm_id", second, "vm_killcode", code(second)))).status());
    JsonNode latest = logs(Map.of("name", "thebacknd-1")).body();
    assertEquals(second, latest.path("vm_id").asText(), latest.toString());
    assertEquals(1, latest.path("exit_code").asInt());
    assertEquals(List.of(), texts(latest));
    assertError(logs(Map.of("name", "thebacknd-2")), 404, "vm_not_found");
    assertError(logs(Map.of("name", "../../etc")), 404, "vm_not_found");
  }

  @Test
  void aSeqAlreadyStoredIsAcknowledgedAndNotStoredAgain() {
    String vmId = anyVmId();
    assertEquals(200, output(vmId, 0, "first\n", false).status());
    ApiResponse again = output(vmId, 0, "a retry that differs\n", false);
    assertEquals(200, again.status(), again.bodyText());
    assertEquals(0, again.body().path("seq").asInt());
    assertEquals(List.of("first\n"), texts(logs(Map.of("vm_id", vmId)).body()));
    assertEquals("first\n", s3.getObjectAsBytes(r -> r.bucket(BUCKET).key(vmId + "/chunk/000000000")).asUtf8String());
    assertEquals(1, keys(vmId).size());
  }

  @Test
  void aChunkThatArrivesEarlyIsHeldBackUntilTheOnesBeforeItAreThere() {
    String vmId = anyVmId();
    output(vmId, 0, "zero\n", false);
    output(vmId, 2, "two\n", true);
    JsonNode gap = logs(Map.of("vm_id", vmId)).body();
    assertEquals(List.of("zero\n"), texts(gap));
    assertEquals(0, gap.path("next").asLong());
    assertFalse(gap.path("done").asBoolean(), "the final chunk is stored, but not everything before it");

    output(vmId, 1, "one\n", false);
    JsonNode filled = logs(Map.of("vm_id", vmId, "after", "0")).body();
    assertEquals(List.of("one\n", "two\n"), texts(filled));
    assertEquals(2, filled.path("next").asLong());
    assertTrue(filled.path("done").asBoolean());
  }

  @Test
  void pastTheLimitAChunkIs413AndNothingIsStoredButAnEmptyFinalChunkFits() {
    env.put("THEBACKND_MAX_OUTPUT_KIB", "1");
    String vmId = anyVmId();
    assertEquals(200, output(vmId, 0, "x".repeat(600), false).status());
    ApiResponse over = output(vmId, 1, "y".repeat(600), false);
    assertEquals(413, over.status());
    assertEquals("output_too_large", over.body().path("error").path("code").asText());
    assertEquals(List.of(vmId + "/chunk/000000000"), keys(vmId));
    assertEquals(200, output(vmId, 1, "y".repeat(424), false).status(), "exactly up to the limit");
    assertEquals(413, output(vmId, 2, "z", false).status());
    assertEquals(200, output(vmId, 2, "", true).status());
    JsonNode logs = logs(Map.of("vm_id", vmId)).body();
    assertEquals(1024, String.join("", texts(logs)).length());
    assertTrue(logs.path("done").asBoolean());
  }

  @Test
  void aChunkStoredAfterTheFinalOneIsNeverShownSoWhatLogsShowsIsTheStart() {
    env.put("THEBACKND_MAX_OUTPUT_KIB", "1");
    String vmId = anyVmId();
    assertEquals(200, output(vmId, 0, "a".repeat(600), false).status());
    assertEquals(200, output(vmId, 2, "c".repeat(10), false).status(), "it overtook chunk 1, and fits");
    assertError(output(vmId, 1, "b".repeat(600), false), 413, "output_too_large");
    assertEquals(200, output(vmId, 1, "", true).status(), "the agent ends the output at the seq refused");
    JsonNode logs = logs(Map.of("vm_id", vmId)).body();
    assertEquals(List.of("a".repeat(600), ""), texts(logs));
    assertTrue(logs.path("done").asBoolean());
    assertEquals(1, logs.path("next").asLong());
    assertEquals(List.of(), texts(logs(Map.of("vm_id", vmId, "after", "1")).body()), "nor after it");
  }

  @Test
  void afterAChunkRefusedAsOverTheLimitLaterOnesAreRefusedUntilItIsSentAgainSmaller() {
    env.put("THEBACKND_MAX_OUTPUT_KIB", "1");
    String vmId = anyVmId();
    assertEquals(200, output(vmId, 0, "a".repeat(600), false).status());
    assertError(output(vmId, 1, "b".repeat(600), false), 413, "output_too_large");
    assertError(output(vmId, 2, "c".repeat(10), false), 413, "output_too_large"); // it would fit, after a gap
    assertEquals(200, output(vmId, 1, "b".repeat(400), false).status(), "chunk 1 again, smaller");
    assertEquals(200, output(vmId, 2, "c".repeat(10), false).status());
    assertEquals(200, output(vmId, 3, "", true).status());
    assertEquals(List.of("a".repeat(600), "b".repeat(400), "c".repeat(10), ""), texts(logs(Map.of("vm_id", vmId)).body()));
  }

  @Test
  void outOfOrderTheLimitCountsWhatIsStored() {
    env.put("THEBACKND_MAX_OUTPUT_KIB", "1");
    String vmId = anyVmId();
    assertEquals(200, output(vmId, 5, "x".repeat(1000), false).status());
    assertEquals(413, output(vmId, 0, "y".repeat(100), false).status());
  }

  @Test
  void theRunningTotalSurvivesChunksOvertakingEachOther() {
    env.put("THEBACKND_MAX_OUTPUT_KIB", "1");
    String vmId = anyVmId();
    output(vmId, 0, "a".repeat(100), false);
    output(vmId, 2, "c".repeat(100), false);
    assertEquals(null, total(vmId, 2), "chunk 1 was missing: no running total");
    output(vmId, 1, "b".repeat(100), false);
    assertEquals("200", total(vmId, 1));
    output(vmId, 3, "d".repeat(100), false);
    assertEquals("400", total(vmId, 3), "summed from a listing once nothing before was missing");
    output(vmId, 4, "e".repeat(100), false);
    assertEquals("500", total(vmId, 4), "and in order again: from the chunk before");
    assertEquals(200, output(vmId, 5, "f".repeat(524), false).status(), "1024 bytes in all");
    assertEquals(413, output(vmId, 6, "g", false).status());
  }

  @Test
  void aWrongKillCodeIs403AndNothingIsStored() {
    String vmId = programVm();
    String otherVmId = programVm();
    ApiResponse forged = call(Route.OUTPUT, json(Map.of("vm_id", vmId, "vm_killcode", code(otherVmId), "seq", 0, "text", "forged", "final", true)));
    assertEquals(403, forged.status());
    assertEquals("bad_kill_code", forged.body().path("error").path("code").asText());
    assertEquals(List.of(), allKeys());
    ApiResponse report = call(Route.REPORT, json(Map.of("vm_id", vmId, "vm_killcode", "0".repeat(64), "phase", "finished", "exit_code", 0)));
    assertEquals(403, report.status());
    assertEquals(List.of(), allKeys(), "a forged report keeps no exit code");
  }

  @Test
  void exitCodesAreZeroTo255WithFinishedOrFailedOnly() {
    String vmId = programVm();
    Map<String, String> before = Ec2Fixture.tags(ec2.all().values().iterator().next());
    for (int bad : List.of(-1, 256, 1000)) {
      ApiResponse response = report(vmId, "finished", bad);
      assertEquals(400, response.status(), "exit_code " + bad);
      assertEquals("invalid_exit_code", response.body().path("error").path("code").asText());
    }
    ApiResponse running = report(vmId, "running", 0);
    assertEquals(400, running.status());
    assertEquals("exit_code_without_result", running.body().path("error").path("code").asText());
    ApiResponse text = call(Route.REPORT, json(Map.of("vm_id", vmId, "vm_killcode", code(vmId), "phase", "finished", "exit_code", "3")));
    assertEquals("wrong_type", text.body().path("error").path("code").asText());
    assertEquals(before, Ec2Fixture.tags(ec2.all().values().iterator().next()), "nothing tagged");
    assertEquals(List.of(), allKeys(), "nothing stored");

    assertEquals(200, report(vmId, "failed", 255).status());
    assertEquals(255, listed().get(0).path("exit_code").asInt());
    assertEquals(200, report(vmId, "finished", 0).status());
    assertEquals(0, logs(Map.of("vm_id", vmId)).body().path("exit_code").asInt());
  }

  // ------------------------------------------------------------------ args

  @Test
  void argsReachTheUserDataTheTagAndTheVm() {
    List<String> args = List.of("with space", "quote\"s and 'single'", "$HOME", "new\nline", "", "ünïcode ✓");
    JsonNode vm = createdVm(json(Map.of("nix_binary", PROGRAM, "args", args)));
    assertEquals(args, strings(vm.path("args")));
    assertEquals(args, strings(listed().get(0).path("args")));
    String instanceId = vm.path("instance_id").asText();
    JsonNode userData = Json.parse(new String(Base64.getDecoder().decode(
        ec2.ec2().describeInstanceAttribute(r -> r.instanceId(instanceId).attribute("userData")).userData().value()), StandardCharsets.UTF_8));
    assertEquals(args, strings(userData.path("nix_args")));
    assertEquals(args, strings(Json.parse(Ec2Fixture.tags(ec2.all().get(instanceId)).get("thebacknd:args"))));

    JsonNode none = createdVm(json(Map.of("nix_binary", PROGRAM)));
    assertEquals(List.of(), strings(none.path("args")));
    JsonNode toplevel = createdVm(json(Map.of("nix_toplevel", TOPLEVEL)));
    assertTrue(toplevel.path("args").isNull());
  }

  @Test
  void argsTooLongForATagAreStillAllInTheUserData() {
    List<String> args = List.of("a".repeat(300), "b");
    JsonNode vm = createdVm(json(Map.of("nix_binary", PROGRAM, "args", args)));
    assertTrue(vm.path("args").isNull(), "no tag, so the VM cannot show them");
    String instanceId = vm.path("instance_id").asText();
    JsonNode userData = Json.parse(new String(Base64.getDecoder().decode(
        ec2.ec2().describeInstanceAttribute(r -> r.instanceId(instanceId).attribute("userData")).userData().value()), StandardCharsets.UTF_8));
    assertEquals(args, strings(userData.path("nix_args")));
  }

  @Test
  void badArgsAre400AndLaunchNothing() {
    List<String> many = new ArrayList<>();
    for (int i = 0; i < 65; i++) {
      many.add("a" + i);
    }
    assertRefused(json(Map.of("nix_binary", PROGRAM, "args", many)), "too_many_args");
    assertRefused(json(Map.of("nix_binary", PROGRAM, "args", List.of("x".repeat(8 * 1024)))), "args_too_large");
    assertRefused(json(Map.of("nix_binary", PROGRAM, "args", List.of("nul\u0000byte"))), "invalid_args");
    assertRefused(json(Map.of("nix_toplevel", TOPLEVEL, "args", List.of("a"))), "args_without_program");
    assertRefused(json(Map.of("args", List.of("a"))), "args_without_program");
    assertRefused("{\"nix_binary\": \"" + PROGRAM + "\", \"args\": [1, 2]}", "wrong_type");
    assertRefused("{\"nix_binary\": \"" + PROGRAM + "\", \"args\": \"a b\"}", "wrong_type");
    assertEquals(201, call(Route.CREATE, json(Map.of("nix_binary", PROGRAM, "args", many.subList(0, 64)))).status());
  }

  @Test
  void argsThatWouldPushTheUserDataPastEc2sLimitAre400BeforeANameIsClaimed() {
    // A long API URL (configuration) and arguments within their own 8 KiB: together over 16 KiB.
    env.put("THEBACKND_API_URL", "http://127.0.0.1:9/" + "p".repeat(9000));
    List<String> args = List.of("x".repeat(ProgramArgs.MAX_JSON_BYTES - 10));
    ApiResponse response = call(Route.CREATE, json(Map.of("nix_binary", PROGRAM, "args", args)));
    assertEquals(400, response.status(), response.bodyText());
    assertEquals("user_data_too_large", response.body().path("error").path("code").asText());
    assertTrue(response.body().path("error").path("message").asText().contains("over EC2's 16384"), response.bodyText());
    assertEquals(Map.of(), ec2.all());
    assertEquals(Map.of(), LeasesTable.byName());
  }

  // ------------------------------------------------------------------ limits and bad requests

  @Test
  void aChunkOfControlCharactersFitsWhileItsBodyDoesAndAChunkCarriesAtMostOneMebibyte() {
    env.put("THEBACKND_MAX_OUTPUT_KIB", "8192");
    String vmId = programVm();
    String text = "\u0001".repeat(340 * 1024);
    String body = json(Map.of("vm_id", vmId, "vm_killcode", code(vmId), "seq", 0, "text", text));
    assertTrue(body.length() > 2 * 1024 * 1024 - 64 * 1024, "JSON escapes each as \\u0001: " + body.length());
    assertEquals(200, call(Route.OUTPUT, body).status());
    assertEquals(List.of(text), texts(logs(Map.of("vm_id", vmId)).body()));

    String mebibyte = ("x".repeat(1023) + "\n").repeat(1024);
    assertEquals(200, output(vmId, 1, mebibyte, false).status(), "1 MiB of text, the most a chunk carries");
    ApiResponse tooMuchText = output(vmId, 2, mebibyte + "x", false);
    assertEquals(413, tooMuchText.status());
    assertEquals("chunk_too_large", tooMuchText.body().path("error").path("code").asText());
    ApiResponse tooBig = call(Route.OUTPUT, json(Map.of("vm_id", vmId, "vm_killcode", code(vmId), "seq", 2, "text", "\u0001".repeat(350 * 1024))));
    assertEquals(413, tooBig.status(), "under 1 MiB of text, but its body is over 2 MiB");
    assertEquals("body_too_large", tooBig.body().path("error").path("code").asText());
    ApiResponse bigReport = call(Route.REPORT, json(Map.of("vm_id", vmId, "vm_killcode", code(vmId), "phase", "running", "detail", "x".repeat(17 * 1024))));
    assertEquals(413, bigReport.status(), "every other route keeps its 16 KiB");
    assertEquals(2, keys(vmId).size());
  }

  @Test
  void badLogsRequestsAre400Or404() {
    String vmId = programVm();
    assertError(logs(Map.of()), 400, "name_or_vm_id");
    assertError(logs(Map.of("name", "thebacknd-1", "vm_id", vmId)), 400, "name_or_vm_id");
    assertError(logs(Map.of("vm_id", vmId, "after", "two")), 400, "invalid_after");
    assertError(logs(Map.of("vm_id", vmId, "after", "-2")), 400, "invalid_after");
    assertError(logs(Map.of("vm_id", "../../etc")), 400, "invalid_vm_id");
    assertError(logs(Map.of("vm_id", vmId, "tail", "5")), 400, "unknown_parameter");
    assertError(logs(Map.of("name", "thebacknd-9")), 404, "vm_not_found");
    assertError(logs(Map.of("vm_id", "0f8fad5b-d9cb-469f-a165-70867728950e")), 404, "output_not_found");
    JsonNode nothingYet = logs(Map.of("vm_id", vmId)).body();
    assertEquals(0, nothingYet.path("chunks").size(), "a live VM that sent nothing yet");
    assertEquals(-1, nothingYet.path("next").asLong());
    assertError(call(Route.OUTPUT, json(Map.of("vm_id", vmId, "vm_killcode", code(vmId), "seq", -1, "text", ""))), 400, "invalid_seq");
    assertError(call(Route.OUTPUT, json(Map.of("vm_id", vmId, "vm_killcode", code(vmId), "seq", 0))), 400, "missing_field");
    assertError(call(Route.OUTPUT, json(Map.of("vm_id", vmId, "vm_killcode", code(vmId), "seq", 0, "text", "x", "stream", "stderr"))), 400, "unknown_field");
  }

  @Test
  void aLongLogComesInPagesOfAboutTwoAndAHalfMebibytesOfJson() {
    env.put("THEBACKND_MAX_OUTPUT_KIB", "8192");
    String vmId = anyVmId();
    String block = "0123456789abcdef".repeat(32 * 1024); // 512 KiB
    for (int seq = 0; seq < 12; seq++) {
      assertEquals(200, output(vmId, seq, block, seq == 11).status());
    }
    assertEquals(List.of(5, 5, 2), pageSizes(vmId, 12), "at most 2.5 MiB a page");
  }

  @Test
  void aPageIsMeasuredAsJsonEscapesItsText() {
    env.put("THEBACKND_MAX_OUTPUT_KIB", "8192");
    String vmId = anyVmId();
    String controls = "\u0001".repeat(300 * 1024); // 300 KiB of text, 1.8 MiB as JSON
    for (int seq = 0; seq < 4; seq++) {
      assertEquals(200, output(vmId, seq, controls, seq == 3).status());
    }
    assertEquals(List.of(1, 1, 1, 1), pageSizes(vmId, 4), "one chunk a page: two would make 3.6 MiB of JSON");
  }

  /** The number of chunks of each page of the VM's output, read from the start. */
  private List<Integer> pageSizes(String vmId, int chunks) {
    List<Integer> sizes = new ArrayList<>();
    long after = -1;
    boolean done = false;
    while (!done && sizes.size() < 20) {
      JsonNode page = logs(Map.of("vm_id", vmId, "after", Long.toString(after))).body();
      sizes.add(page.path("chunks").size());
      after = page.path("next").asLong();
      done = page.path("done").asBoolean();
    }
    assertEquals(chunks - 1, after);
    return sizes;
  }

  @Test
  void aBucketPrefixKeepsOutputUnderIt() {
    env.put("THEBACKND_OUTPUT_BUCKET", BUCKET + "/runs/output/");
    String vmId = anyVmId();
    output(vmId, 0, "in a prefix", true);
    assertEquals(
        List.of("runs/output/" + vmId + "/chunk/000000000", "runs/output/" + vmId + "/final", "runs/output/names/thebacknd-1"),
        allKeys());
    assertEquals(List.of("in a prefix"), texts(logs(Map.of("vm_id", vmId)).body()));
  }

  @Test
  void withoutAnOutputBucketTheOutputRoutesSaySoAndReportStillTagsTheExitCode() {
    env.remove("THEBACKND_OUTPUT_BUCKET");
    String vmId = programVm();
    ApiResponse output = output(vmId, 0, "x", false);
    assertEquals(500, output.status());
    assertEquals("misconfigured", output.body().path("error").path("code").asText());
    assertTrue(output.body().path("error").path("message").asText().startsWith("THEBACKND_OUTPUT_BUCKET is required"));
    assertEquals(200, report(vmId, "finished", 7).status());
    assertEquals(7, listed().get(0).path("exit_code").asInt());
  }

  @Test
  void theConsoleOfALiveVmByName() {
    JsonNode vm = createdVm("{}");
    ApiResponse console = api().handle(new ApiRequest("GET", "/console", Map.of("name", "thebacknd-1"), null));
    assertEquals(200, console.status(), console.bodyText());
    assertEquals(vm.path("instance_id").asText(), console.body().path("instance_id").asText());
    assertEquals(vm.path("vm_id").asText(), console.body().path("vm_id").asText());
    assertTrue(console.body().path("output").asText().startsWith("Linux version"), console.bodyText());
    ApiResponse direct = call(Route.CONSOLE, "{\"name\": \"thebacknd-1\"}");
    assertEquals(200, direct.status(), "a direct Lambda invocation names the VM in its payload");
    assertError(api().handle(new ApiRequest("GET", "/console", Map.of("name", "thebacknd-2"), null)), 404, "vm_not_found");
    assertError(api().handle(new ApiRequest("GET", "/console", Map.of(), null)), 400, "missing_parameter");
  }

  @Test
  void theConsoleOfAnInstanceWithoutOurTagIsNeverRead() {
    ec2.launch(Map.of("Name", "thebacknd-1"));
    assertError(api().handle(new ApiRequest("GET", "/console", Map.of("name", "thebacknd-1"), null)), 404, "vm_not_found");
  }

  // ------------------------------------------------------------------ helpers

  /** A VM holding its lease: /output needs the proof (its kill code) and a VM that is not gone. */
  private String anyVmId() {
    return programVm();
  }

  /** A vm_id with its kill code that no create ever leased. */
  private static String anyUnleasedVmId() {
    return java.util.UUID.randomUUID().toString();
  }

  private String programVm() {
    return createdVm(json(Map.of("nix_binary", PROGRAM))).path("vm_id").asText();
  }

  private ApiResponse output(String vmId, int seq, String text, boolean isFinal) {
    Map<String, Object> body = new HashMap<>(Map.of("vm_id", vmId, "vm_killcode", code(vmId), "seq", seq, "text", text));
    if (isFinal) {
      body.put("final", true);
    }
    return call(Route.OUTPUT, json(body));
  }

  private ApiResponse report(String vmId, String phase, int exitCode) {
    return call(Route.REPORT, json(Map.of("vm_id", vmId, "vm_killcode", code(vmId), "phase", phase, "exit_code", exitCode)));
  }

  private ApiResponse logs(Map<String, String> query) {
    return api().handle(new ApiRequest("GET", "/logs", query, null));
  }

  private void assertRefused(String body, String code) {
    int before = ec2.all().size();
    assertError(call(Route.CREATE, body), 400, code);
    assertEquals(before, ec2.all().size(), "nothing launched");
  }

  private static void assertError(ApiResponse response, int status, String code) {
    assertEquals(status, response.status(), response.bodyText());
    assertEquals(code, response.body().path("error").path("code").asText(), response.bodyText());
  }

  private List<String> keys(String vmId) {
    return s3.listObjectsV2(r -> r.bucket(BUCKET).prefix(vmId + "/chunk/")).contents().stream().map(S3Object::key).toList();
  }

  private String total(String vmId, int seq) {
    return s3.headObject(r -> r.bucket(BUCKET).key(vmId + "/chunk/" + String.format("%09d", seq))).metadata().get("total");
  }

  private List<String> allKeys() {
    return s3.listObjectsV2(r -> r.bucket(BUCKET)).contents().stream().map(S3Object::key).sorted().toList();
  }

  private static List<String> texts(JsonNode logs) {
    List<String> texts = new ArrayList<>();
    logs.path("chunks").forEach(c -> texts.add(c.path("text").asText()));
    return texts;
  }

  private static List<Long> seqs(JsonNode logs) {
    List<Long> seqs = new ArrayList<>();
    logs.path("chunks").forEach(c -> seqs.add(c.path("seq").asLong()));
    return seqs;
  }

  private static List<String> strings(JsonNode array) {
    List<String> strings = new ArrayList<>();
    array.forEach(s -> strings.add(s.asText()));
    return strings;
  }

  private static String code(String vmId) {
    return new KillCodes(() -> List.of(TestEnv.SECRET)).codeFor(vmId);
  }
}
