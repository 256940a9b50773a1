import Foundation
import XCTest
@testable import FER

/// `fer predict`'s path (decode PNG, normalize, forward, softmax, CAM) against the PyTorch reference
/// model on the same files (tools/make_predict_fixture.py), from the reference's own checkpoint.
final class PredictorTests: XCTestCase {
    struct Expected: Decodable { let images: [String]; let logits: [[Float]]; let probabilities: [[Float]]; let cam: [[[[Float]]]] }

    func testPredictionsReproduceTheReferenceModel() throws {
        let d = try TestSupport.device()
        let loaded = try ModelCheckpoint.load(path: TestSupport.fixture("golden_micro_model.safetensors"), device: d, log: { _ in })
        let expected = try JSONDecoder().decode(Expected.self, from: try Data(contentsOf: URL(fileURLWithPath: TestSupport.fixture("predict_expected.json"))))
        var predictor = Predictor(model: loaded.model, classNames: loaded.classNames)
        predictor.batchSize = 1  // also exercises the chunking
        let results = try predictor.predict(paths: expected.images.map { TestSupport.fixture($0) }, withCAM: true)
        XCTAssertEqual(results.count, 2)
        for (i, r) in results.enumerated() {
            // Logits and maps: max abs error <= 1e-4 of the largest magnitude; probabilities 1e-4 absolute.
            assertClose(r.logits, expected.logits[i], relative: 1e-4, "logits of \(expected.images[i])")
            assertClose(r.probabilities, expected.probabilities[i], relative: 1e-4, "probabilities of \(expected.images[i])")
            assertClose(r.cam!.flatMap { $0.flatMap { $0 } }, expected.cam[i].flatMap { $0.flatMap { $0 } }, relative: 1e-4, "cam of \(expected.images[i])")
            let top = expected.probabilities[i].indices.max { expected.probabilities[i][$0] < expected.probabilities[i][$1] }!
            XCTAssertEqual(r.label, loaded.classNames[top])
        }
    }
}
