import FER
import Foundation

print("fer")
