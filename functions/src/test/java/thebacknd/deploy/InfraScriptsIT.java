package thebacknd.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.ec2.model.DescribeImagesRequest;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Image;
import software.amazon.awssdk.services.s3.model.CreateBucketRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import thebacknd.Json;
import thebacknd.testing.Moto;

/**
 * The infra/ scripts as a user runs them, against moto. What moto 5.2.5 does not implement is
 * said where it matters: ImportSnapshot and DescribeImportSnapshotTasks are missing (the import
 * test proves the upload and the request up to that call), and RegisterImage keeps only the name
 * and description (the requests' ENA, IMDSv2, boot mode and architecture are checked as the
 * script sends them, and the AWS CLI validates them against the EC2 model before sending).
 */
class InfraScriptsIT {

  private static final String IMPORT = "infra/import-image";

  @TempDir Path tmp;
  private Map<String, String> aws;

  @BeforeEach
  void freshAccount() {
    DeployTools.venvBin("aws"); // the pinned AWS CLI, not whatever else is on the PATH
    Moto.reset();
    aws = new HashMap<>();
    aws.put("AWS_ENDPOINT_URL", Moto.endpoint().toString());
    aws.put("HOME", tmp.toString()); // no ~/.aws/config of the machine's user
  }

  @Test
  void everyScriptHasHelp() throws IOException {
    List<Path> scripts;
    try (Stream<Path> files = Files.list(DeployTools.repo().resolve("infra"))) {
      scripts = files.filter(Files::isExecutable).filter(Files::isRegularFile).sorted().toList();
    }
    assertFalse(scripts.isEmpty());
    for (Path script : scripts) {
      DeployTools.Result help = DeployTools.runAllowingFailure(aws, script.toString(), "--help");
      assertEquals(0, help.exit(), script + " --help: " + help.err());
      assertTrue(help.out().toLowerCase().startsWith("usage:"), script + " --help prints usage:\n" + help.out());
    }
  }

  @Test
  void importImageRefusesMissingOrWrongInputsWithExitCode2() throws IOException {
    Path vhd = Files.write(tmp.resolve("disk.vhd"), new byte[512]);
    Path qcow = Files.write(tmp.resolve("disk.qcow2"), new byte[512]);
    Path emptyDir = Files.createDirectories(tmp.resolve("result"));
    List<List<String>> wrong = List.of(
        List.of(),
        List.of("--image", tmp.resolve("missing.vhd").toString(), "--bucket", "b-images", "--arch", "x86_64", "--boot-mode", "uefi"),
        List.of("--image", vhd.toString(), "--arch", "x86_64", "--boot-mode", "uefi"),
        List.of("--image", vhd.toString(), "--bucket", "b-images", "--boot-mode", "uefi"),
        List.of("--image", vhd.toString(), "--bucket", "b-images", "--arch", "x86_64"),
        List.of("--image", vhd.toString(), "--bucket", "b-images", "--arch", "sparc", "--boot-mode", "uefi"),
        List.of("--image", vhd.toString(), "--bucket", "b-images", "--arch", "x86_64", "--boot-mode", "bios"),
        List.of("--image", qcow.toString(), "--bucket", "b-images", "--arch", "x86_64", "--boot-mode", "uefi", "--name", "n-1"),
        List.of("--image", emptyDir.toString(), "--bucket", "b-images"),
        List.of("--snapshot-id", "snap-0123", "--arch", "x86_64", "--boot-mode", "uefi"),
        List.of("--image", vhd.toString(), "--snapshot-id", "snap-0123", "--bucket", "b", "--arch", "x86_64", "--boot-mode", "uefi"),
        List.of("--image", vhd.toString(), "--bucket", "b-images", "--arch", "x86_64", "--boot-mode", "uefi", "--timeout-minutes", "soon"),
        List.of("--bogus"));
    for (List<String> args : wrong) {
      DeployTools.Result r = importImage(aws, args);
      assertEquals(2, r.exit(), "import-image " + args + " should be a usage error:\n" + r.err());
      assertTrue(r.err().startsWith("import-image: "), "one line saying why: " + r.err());
      assertEquals("", r.out(), "nothing on stdout");
    }
    // No region anywhere: refused before any call.
    Map<String, String> noRegion = new HashMap<>(aws);
    noRegion.put("AWS_REGION", "");
    noRegion.put("AWS_DEFAULT_REGION", "");
    DeployTools.Result r = importImage(noRegion, List.of("--snapshot-id", "snap-0123", "--arch", "x86_64", "--boot-mode", "uefi", "--name", "thebacknd-x"));
    assertEquals(2, r.exit(), r.err());
    assertTrue(r.err().contains("no region"), r.err());
  }

  @Test
  void dryRunShowsImportAndRegisterRequestsFromImageInfoAndChangesNothing() throws Exception {
    Path result = nixResult("x86_64-linux", "legacy-bios", 4096);
    createBucket("thebacknd-images-test");
    DeployTools.Result r = importImage(aws, List.of("--image", result.toString(), "--bucket", "thebacknd-images-test", "--dry-run"));
    assertEquals(0, r.exit(), r.err());
    List<JsonNode> requests = jsonDocuments(r.out());
    assertEquals(2, requests.size(), r.out());

    JsonNode importSnapshot = requests.get(0).path("ImportSnapshot");
    assertEquals("VHD", importSnapshot.path("DiskContainer").path("Format").asText());
    assertEquals("thebacknd-images-test", importSnapshot.path("DiskContainer").path("UserBucket").path("S3Bucket").asText());
    assertEquals("thebacknd-vmimport", importSnapshot.path("RoleName").asText(), "the role infra/image-import.yaml makes");
    assertTrue(importSnapshot.path("ClientToken").asText().startsWith("thebacknd-"), "keyed for reruns");

    JsonNode register = requests.get(1).path("RegisterImage");
    assertEquals("thebacknd-25.05.20260101.abcdef0-x86_64-linux", register.path("Name").asText());
    assertEquals("x86_64", register.path("Architecture").asText());
    assertEquals("legacy-bios", register.path("BootMode").asText());
    assertTrue(register.path("EnaSupport").asBoolean(), register.toString());
    assertEquals("v2.0", register.path("ImdsSupport").asText());
    assertEquals("hvm", register.path("VirtualizationType").asText());
    assertEquals(register.path("RootDeviceName").asText(), register.path("BlockDeviceMappings").get(0).path("DeviceName").asText());
    assertTrue(register.path("BlockDeviceMappings").get(0).path("Ebs").path("DeleteOnTermination").asBoolean());

    // The same for an arm64 UEFI image.
    JsonNode arm = jsonDocuments(importImage(aws, List.of("--image", nixResult("aarch64-linux", "uefi", 512).toString(),
        "--bucket", "thebacknd-images-test", "--dry-run")).out()).get(1).path("RegisterImage");
    assertEquals("arm64", arm.path("Architecture").asText());
    assertEquals("uefi", arm.path("BootMode").asText());

    assertEquals(0, s3Keys("thebacknd-images-test").size(), "a dry run uploads nothing");
    assertEquals(0, ourImages().size(), "a dry run registers nothing");
  }

  @Test
  void registersAnExistingSnapshotOnceAndReusesTheAmiOnRerun() {
    Ec2Client ec2 = Moto.clients().ec2();
    String volume = ec2.createVolume(b -> b.availabilityZone("us-east-1a").size(8)).volumeId();
    String snapshot = ec2.createSnapshot(b -> b.volumeId(volume)).snapshotId();
    List<String> args = List.of("--snapshot-id", snapshot, "--arch", "x86_64", "--boot-mode", "uefi", "--name", "thebacknd-base-1");

    DeployTools.Result first = importImage(aws, args);
    assertEquals(0, first.exit(), first.err());
    String ami = first.out().trim();
    assertTrue(ami.matches("ami-[0-9a-f]+"), "stdout is the AMI id alone: " + first.out());
    Image image = ec2.describeImages(DescribeImagesRequest.builder().imageIds(ami).build()).images().get(0);
    assertEquals("thebacknd-base-1", image.name());

    DeployTools.Result again = importImage(aws, args);
    assertEquals(0, again.exit(), again.err());
    assertEquals(ami, again.out().trim(), "the same AMI, not a second one");
    assertEquals(1, ourImages().size());
  }

  @Test
  void importUploadsTheImageAndSendsAValidImportSnapshotRequest() throws Exception {
    Path result = nixResult("x86_64-linux", "legacy-bios", 64 * 1024);
    createBucket("thebacknd-images-test");
    DeployTools.Result r = importImage(aws, List.of("--image", result.toString(), "--bucket", "thebacknd-images-test", "--timeout-minutes", "1"));

    // The upload happened, whole.
    List<String> keys = s3Keys("thebacknd-images-test");
    assertEquals(List.of("thebacknd-images/thebacknd-25.05.20260101.abcdef0-x86_64-linux.vhd"), keys);
    long size = Moto.clients().s3().headObject(HeadObjectRequest.builder().bucket("thebacknd-images-test").key(keys.get(0)).build()).contentLength();
    assertEquals(64 * 1024, size);

    // moto 5.2.5 has no ImportSnapshot: the request passed the CLI's validation against the EC2
    // model and reached moto, which fails it; the script stops there with one line and exit 1.
    assertEquals(1, r.exit(), r.out() + r.err());
    assertFalse(r.err().contains("Parameter validation failed"), r.err());
    assertTrue(r.err().contains("ImportSnapshot"), r.err());
    assertEquals("", r.out(), "no AMI id");
    assertEquals(0, ourImages().size());

    // A rerun does not upload again.
    DeployTools.Result rerun = importImage(aws, List.of("--image", result.toString(), "--bucket", "thebacknd-images-test", "--timeout-minutes", "1"));
    assertTrue(rerun.err().contains("already uploaded"), rerun.err());
  }

  @Test
  void imageImportStackDeploysTheBucketAndTheVmImportRole() {
    // The command docs/deploy.md gives, against moto's CloudFormation.
    DeployTools.Result deploy = DeployTools.runAllowingFailure(aws, DeployTools.venvBin("aws"), "cloudformation", "deploy",
        "--template-file", "infra/image-import.yaml", "--stack-name", "thebacknd-image-import",
        "--capabilities", "CAPABILITY_NAMED_IAM");
    assertEquals(0, deploy.exit(), deploy.out() + deploy.err());
    try (IamClient iam = IamClient.builder().region(Region.AWS_GLOBAL).endpointOverride(Moto.endpoint())
        .httpClient(UrlConnectionHttpClient.create()).build()) {
      String trust = URLDecoder.decode(iam.getRole(b -> b.roleName("thebacknd-vmimport")).role().assumeRolePolicyDocument(), StandardCharsets.UTF_8);
      assertTrue(trust.contains("vmie.amazonaws.com") && trust.contains("\"vmimport\""), trust);
      String policy = URLDecoder.decode(iam.getRolePolicy(b -> b.roleName("thebacknd-vmimport").policyName("vmimport")).policyDocument(), StandardCharsets.UTF_8);
      assertTrue(policy.contains("s3:GetObject") && policy.contains("ec2:RegisterImage"), policy);
    }
    assertEquals(1, Moto.clients().s3().listBuckets().buckets().size(), "the images bucket");
  }

  @Test
  void cloudFormationPackageUploadsTheJarAndPointsTheFunctionsAtIt() throws Exception {
    // The AWS CLI way to deploy template.yaml (docs/deploy.md): package uploads the jar named by
    // CodeUri and writes a template pointing at the upload. Deploying that needs a real account
    // (moto runs neither the SAM transform nor Lambda), but the package step runs here.
    createBucket("thebacknd-artifacts-test");
    Path packaged = tmp.resolve("packaged.yaml");
    DeployTools.Result r = DeployTools.runAllowingFailure(aws, DeployTools.venvBin("aws"), "cloudformation", "package",
        "--template-file", "template.yaml", "--s3-bucket", "thebacknd-artifacts-test",
        "--output-template-file", packaged.toString());
    assertEquals(0, r.exit(), r.out() + r.err());
    JsonNode template = Json.parse(DeployTools.run(DeployTools.python(), "infra/template-json", packaged.toString()).out());
    List<String> codeUris = new ArrayList<>();
    template.path("Resources").forEach(res -> {
      if (res.path("Type").asText().equals("AWS::Serverless::Function")) {
        codeUris.add(res.path("Properties").path("CodeUri").asText());
      }
    });
    // One function per route (edge.Route), all from the one jar.
    assertEquals(thebacknd.edge.Route.values().length, codeUris.size());
    assertEquals(1, codeUris.stream().distinct().count(), "one upload for all of them: " + codeUris);
    String codeUri = codeUris.get(0);
    assertTrue(codeUri.startsWith("s3://thebacknd-artifacts-test/"), codeUri);
    String key = codeUri.substring("s3://thebacknd-artifacts-test/".length());
    long uploaded = Moto.clients().s3().headObject(HeadObjectRequest.builder().bucket("thebacknd-artifacts-test").key(key).build()).contentLength();
    assertTrue(uploaded > 1_000_000, "the jar (zipped by package): " + uploaded + " bytes");
    // What CloudFormation will transform: the same checks as the unpackaged template.
    DeployTools.Result transformed = DeployTools.runAllowingFailure(DeployTools.python(), "infra/template-json", "--transform", packaged.toString());
    assertEquals(0, transformed.exit(), transformed.err());
  }

  // ------------------------------------------------------------------ helpers

  private static DeployTools.Result importImage(Map<String, String> env, List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(IMPORT);
    command.addAll(args);
    return DeployTools.runAllowingFailure(env, command.toArray(String[]::new));
  }

  /** A directory shaped like `nix build` of nixpkgs' amazon image: the disk and image-info.json. */
  private Path nixResult(String system, String bootMode, int bytes) throws IOException {
    Path out = Files.createDirectories(tmp.resolve("result-" + system));
    Path disk = Files.write(out.resolve("nixos-amazon-image-25.05.20260101.abcdef0-" + system + ".vhd"), new byte[bytes]);
    Files.createDirectories(out.resolve("nix-support"));
    Files.writeString(out.resolve("nix-support/image-info.json"), Json.write(Json.object()
        .put("label", "25.05.20260101.abcdef0")
        .put("boot_mode", bootMode)
        .put("system", system)
        .put("logical_bytes", String.valueOf(bytes))
        .put("file", disk.toString())));
    return out;
  }

  private static List<JsonNode> jsonDocuments(String text) throws IOException {
    List<JsonNode> docs = new ArrayList<>();
    try (MappingIterator<JsonNode> it = Json.MAPPER.readerFor(JsonNode.class).readValues(text)) {
      it.forEachRemaining(docs::add);
    }
    return docs;
  }

  private static void createBucket(String name) {
    Moto.clients().s3().createBucket(CreateBucketRequest.builder().bucket(name).build());
  }

  private static List<String> s3Keys(String bucket) {
    return Moto.clients().s3().listObjectsV2(ListObjectsV2Request.builder().bucket(bucket).build())
        .contents().stream().map(o -> o.key()).toList();
  }

  private static List<Image> ourImages() {
    return Moto.clients().ec2().describeImages(DescribeImagesRequest.builder().owners("self")
        .filters(Filter.builder().name("name").values("thebacknd-*").build()).build()).images();
  }
}
