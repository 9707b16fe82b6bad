package thebacknd.testing;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/** Edits of EC2's DescribeInstances answer ({@code reservationSet/item/instancesSet/item}) for {@link FaultProxy}. */
final class DescribeInstancesXml {

  private DescribeInstancesXml() {}

  /** The DescribeInstances XML without the instances in {@code hidden} (and reservations left empty). */
  static byte[] withoutInstances(byte[] xml, Set<String> hidden) {
    try {
      Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(new ByteArrayInputStream(xml));
      NodeList sets = doc.getElementsByTagName("instancesSet");
      List<Element> emptied = new ArrayList<>();
      for (int i = 0; i < sets.getLength(); i++) {
        Element set = (Element) sets.item(i);
        for (Element item : children(set, "item")) {
          List<Element> id = children(item, "instanceId");
          if (!id.isEmpty() && hidden.contains(id.get(0).getTextContent().trim())) {
            set.removeChild(item);
          }
        }
        if (children(set, "item").isEmpty()) {
          emptied.add(set);
        }
      }
      for (Element set : emptied) {
        Node reservation = set.getParentNode();
        reservation.getParentNode().removeChild(reservation);
      }
      var transformer = TransformerFactory.newInstance().newTransformer();
      transformer.setOutputProperty(OutputKeys.ENCODING, "UTF-8");
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      transformer.transform(new DOMSource(doc), new StreamResult(out));
      return out.toByteArray();
    } catch (Exception e) {
      throw new IllegalStateException("cannot rewrite a DescribeInstances answer", e);
    }
  }

  private static List<Element> children(Element parent, String name) {
    List<Element> found = new ArrayList<>();
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && name.equals(e.getTagName())) {
        found.add(e);
      }
    }
    return found;
  }
}
